"""The fast client's cookie jar on its own: RFC 6265 matching and requests' jar API."""

import http.cookiejar
import time

from locust._fasthttp.cookies import CookieJar


def stored(jar, host, path, *values):
    return jar.extract(host, path, list(values))


def test_host_only_cookies_go_to_that_host_only():
    jar = CookieJar()
    stored(jar, "example.com", "/", "a=1")
    assert jar.header_for("http", "example.com", "/x") == "a=1"
    assert jar.header_for("http", "www.example.com", "/x") is None
    assert jar.header_for("http", "other.com", "/x") is None


def test_domain_cookies_go_to_subdomains_and_foreign_domains_are_refused():
    jar = CookieJar()
    stored(jar, "www.example.com", "/", "a=1; Domain=.example.com", "b=2; Domain=evil.com",
           "c=3; Domain=www.example.com")
    assert jar.header_for("http", "api.example.com", "/") == "a=1"
    assert jar.header_for("http", "example.com", "/") == "a=1"
    assert jar.header_for("http", "www.example.com", "/") == "a=1; c=3"
    assert jar.header_for("http", "notexample.com", "/") is None
    assert "b" not in jar


def test_ip_hosts_do_not_domain_match():
    jar = CookieJar()
    stored(jar, "127.0.0.1", "/", "a=1")
    assert jar.header_for("http", "127.0.0.1", "/") == "a=1"
    assert jar.header_for("http", "0.0.1", "/") is None


def test_paths_default_and_match_and_longest_goes_first():
    jar = CookieJar()
    stored(jar, "h", "/shop/cart/add?x=1", "default=1")  # default path: /shop/cart
    stored(jar, "h", "/", "root=1; Path=/", "shop=1; Path=/shop", "bad=1; Path=relative")
    # "bad" has a path that does not start with "/": it gets the default ("/").
    assert jar.header_for("http", "h", "/shop/cart/view") == "default=1; shop=1; root=1; bad=1"
    assert jar.header_for("http", "h", "/shopping") == "root=1; bad=1"
    assert jar.header_for("http", "h", "/shop?q=1") == "shop=1; root=1; bad=1"
    assert jar.header_for("http", "h", "/shop/cart") == "default=1; shop=1; root=1; bad=1"


def test_secure_cookies_only_over_https():
    jar = CookieJar()
    stored(jar, "h", "/", "s=1; Secure; HttpOnly")
    assert jar.header_for("http", "h", "/") is None
    assert jar.header_for("https", "h", "/") == "s=1"


def test_expiry_by_max_age_and_expires():
    jar = CookieJar()
    stored(jar, "h", "/", "a=1; Max-Age=100", "b=2; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
           "c=3; Expires=Thu, 01-Jan-1970 00:00:01 GMT", "d=4; Max-Age=0")
    assert jar.get_dict() == {"a": "1", "b": "2"}
    cookie = next(c for c in jar if c.name == "a")
    assert time.time() + 90 < cookie.expires <= time.time() + 100
    cookie.expires = int(time.time()) - 1  # expired since
    assert jar.header_for("http", "h", "/") == "b=2"
    assert "a" not in jar  # dropped when found expired
    stored(jar, "h", "/", "b=x; Max-Age=-1")  # a past expiry deletes
    assert jar.get_dict() == {}


def test_malformed_set_cookie_values_are_ignored():
    jar = CookieJar()
    stored(jar, "h", "/", "novalue", "=nameless", "ok=1; Max-Age=abc; Expires=garbage")
    assert jar.get_dict() == {"ok": "1"}


def test_the_requests_jar_api():
    jar = CookieJar()
    jar.set("a", "1")
    jar["b"] = "2"
    jar.set("c", "3", domain="example.com", path="/p")
    assert isinstance(jar, http.cookiejar.CookieJar)
    assert jar["a"] == "1" and jar.get("b") == "2" and jar.get("x", "d") == "d"
    assert jar.get("c", domain="example.com") == "3" and jar.get("c", domain="other") is None
    assert "a" in jar and "x" not in jar
    assert sorted(jar.keys()) == ["a", "b", "c"]
    assert sorted(jar.values()) == ["1", "2", "3"]
    assert sorted(jar.items()) == [("a", "1"), ("b", "2"), ("c", "3")]
    assert jar.get_dict(domain="example.com") == {"c": "3"}
    assert set(jar.list_domains()) == {"", "example.com"} and jar.multiple_domains()
    assert set(jar.list_paths()) == {"/", "/p"}
    # A cookie without a domain goes to every host (as with requests).
    assert jar.header_for("http", "anything.test", "/") == "a=1; b=2"
    copy = jar.copy()
    del jar["a"]
    assert "a" not in jar and copy["a"] == "1"
    jar.update({"z": "26"})
    jar.update(copy)
    assert jar.get_dict()["z"] == "26" and jar["a"] == "1"
    assert len(jar) == 4
    jar.clear()
    assert len(jar) == 0 and jar.header_for("http", "h", "/") is None
