"""RequestsCookieJar (locust._http.cookies): the dict face, the calls an HTTP client makes,
and the jars of HttpSession and Response against a stdlib server in a thread."""

import copy
import http.cookiejar
import json
import time
from http.cookies import SimpleCookie

import pytest

from locust._http.cookies import (
    CookieConflictError,
    RequestsCookieJar,
    cookie_header,
    cookiejar_from_dict,
    create_cookie,
    extract_cookies,
)
from locust.clients import HttpSession
from support.http_target import start_server


@pytest.fixture(scope="module")
def server():
    srv = start_server()
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    session = HttpSession(server.url)
    yield session
    session.close()


def sent_cookies(response):
    """The cookies the /echo route saw, as a sorted list of "name=value"."""
    header = json.loads(response.content)["headers"].get("Cookie")
    return sorted(header.split("; ")) if header else []


# -- the dict face ---------------------------------------------------------------

def test_a_jar_reads_like_a_dict():
    jar = RequestsCookieJar()
    assert isinstance(jar, http.cookiejar.CookieJar)
    jar["a"] = "1"
    jar.set("b", "2")
    assert jar["a"] == "1" and jar.get("b") == "2"
    assert jar.get("missing") is None and jar.get("missing", "d") == "d"
    with pytest.raises(KeyError):
        jar["missing"]
    assert "a" in jar and "missing" not in jar
    assert len(jar) == 2
    assert sorted(jar.keys()) == ["a", "b"]
    assert sorted(jar.values()) == ["1", "2"]
    assert sorted(jar.items()) == [("a", "1"), ("b", "2")]
    assert jar.get_dict() == {"a": "1", "b": "2"}
    assert dict(jar) == {"a": "1", "b": "2"}   # a Mapping: keys() and jar[key]
    assert sorted(c.name for c in jar) == ["a", "b"]
    assert all(isinstance(c, http.cookiejar.Cookie) for c in jar)


def test_delete_set_none_clear_and_update():
    jar = RequestsCookieJar()
    jar.update({"a": "1", "b": "2"})
    jar.update([("c", "3")], d="4")
    assert jar.get_dict() == {"a": "1", "b": "2", "c": "3", "d": "4"}
    del jar["a"]
    assert "a" not in jar
    with pytest.raises(KeyError):
        del jar["a"]
    jar.set("b", None)   # requests: a None value removes
    assert "b" not in jar
    assert jar.pop("c") == "3" and "c" not in jar
    assert jar.popitem() == ("d", "4") and len(jar) == 0
    with pytest.raises(KeyError):
        jar.popitem()
    jar["e"] = "5"
    jar.clear()
    assert len(jar) == 0 and jar.get_dict() == {}


def test_update_from_another_jar_copies_the_cookies():
    source = RequestsCookieJar()
    source.set("a", "1", domain="example.com", path="/x")
    jar = RequestsCookieJar()
    jar.update(source)
    (cookie,) = list(jar)
    assert (cookie.name, cookie.value, cookie.domain, cookie.path) == ("a", "1", "example.com", "/x")
    cookie.value = "changed"
    assert source["a"] == "1"   # a copy, not the same Cookie
    twin = jar.copy()
    twin.set("a", "2", domain="example.com", path="/x")   # replaces that cookie in the copy
    assert jar["a"] == "changed" and twin["a"] == "2"
    assert copy.copy(jar) is not jar


def test_same_name_on_two_domains_needs_a_domain():
    jar = RequestsCookieJar()
    jar.set("token", "one", domain="a.example", path="/")
    jar.set("token", "two", domain="b.example", path="/")
    jar.set("only", "x", domain="a.example", path="/p")
    with pytest.raises(CookieConflictError):
        jar["token"]
    assert "token" in jar   # present, if ambiguous
    assert jar.get("token", domain="b.example") == "two"
    assert jar.get("only", path="/p") == "x" and jar.get("only", path="/") is None
    assert jar.get_dict(domain="a.example") == {"token": "one", "only": "x"}
    assert jar.get_dict(path="/p") == {"only": "x"}
    assert sorted(jar.list_domains()) == ["a.example", "b.example"]
    assert sorted(jar.list_paths()) == ["/", "/p"]
    assert jar.multiple_domains()
    jar.set("token", None, domain="a.example")
    assert jar["token"] == "two"


def test_set_takes_cookie_attributes_and_morsels():
    jar = RequestsCookieJar()
    cookie = jar.set("s", "v", domain=".example.com", path="/app", secure=True,
                     expires=int(time.time()) + 60)
    assert cookie.domain_initial_dot and cookie.secure and cookie.path == "/app"
    with pytest.raises(TypeError):
        jar.set("bad", "v", colour="blue")
    morsel = SimpleCookie("m=1; Path=/m; Max-Age=60")["m"]
    made = jar.set("m", morsel)
    assert made.path == "/m" and made.expires > time.time()
    assert jar.get("m", path="/m") == "1"


def test_cookiejar_from_dict():
    jar = cookiejar_from_dict({"a": "1"})
    assert isinstance(jar, RequestsCookieJar) and jar["a"] == "1"
    cookiejar_from_dict({"a": "2", "b": "3"}, jar, overwrite=False)
    assert jar.get_dict() == {"a": "1", "b": "3"}


# -- what an HTTP client calls ------------------------------------------------------

@pytest.mark.parametrize("jar_class", [RequestsCookieJar, http.cookiejar.CookieJar])
def test_extract_then_send_with_any_cookiejar(jar_class):
    jar = jar_class()
    url = "http://shop.test:8080/cart/view"
    assert cookie_header(jar, url) is None   # an empty jar answers at once
    own = RequestsCookieJar()
    kept = extract_cookies(jar, ["sid=1; Path=/", "cart=2; Path=/cart", "ev=x; Domain=other.test"],
                           url, also=(own,))
    assert sorted(c.name for c in kept) == ["cart", "sid"]   # another domain's is refused
    assert sorted(c.name for c in own) == ["cart", "sid"]
    assert cookie_header(jar, "http://shop.test:8080/cart/x") in ("sid=1; cart=2", "cart=2; sid=1")
    assert cookie_header(jar, "http://shop.test:8080/", "http", "shop.test:8080") == "sid=1"
    assert cookie_header(jar, "http://elsewhere.test/") is None
    # a Cookie header of the caller's own wins
    assert cookie_header(jar, "http://shop.test:8080/", has_cookie_header=True) is None


def test_extract_reads_headers_objects_and_mirrors_deletions():
    from urllib3 import HTTPHeaderDict
    session = RequestsCookieJar()
    per_request = RequestsCookieJar()
    response_jar = RequestsCookieJar()
    url = "http://shop.test/"
    extract_cookies(session, ["a=1; Path=/", "b=2; Path=/"], url, mirror=(per_request,))
    assert per_request.get_dict() == {"a": "1", "b": "2"}
    headers = HTTPHeaderDict()
    headers.add("Set-Cookie", "a=; Max-Age=0; Path=/")
    headers.add("Set-Cookie", "c=3; Path=/")
    session.extract_from(headers, url, also=(response_jar,), mirror=(per_request,))
    assert session.get_dict() == {"b": "2", "c": "3"}
    assert per_request.get_dict() == {"b": "2", "c": "3"}
    assert response_jar.get_dict() == {"c": "3"}
    assert session.cookie_header_for(url) in ("b=2; c=3", "c=3; b=2")


def test_cookie_attributes_from_create_cookie():
    cookie = create_cookie("n", "v")
    assert (cookie.domain, cookie.path, cookie.secure, cookie.expires) == ("", "/", False, None)
    jar = RequestsCookieJar()
    jar.set_cookie(cookie)
    # no domain: sent to every host
    assert cookie_header(jar, "http://any.test/x") == "n=v"


# -- the session's and the response's jars ----------------------------------------

def test_client_cookies_by_name(client):
    response = client.get("/set_cookie?name=csrftoken&value=tok123")
    assert client.cookies["csrftoken"] == "tok123"
    assert response.cookies["csrftoken"] == "tok123"
    assert client.cookies.get("csrftoken") == "tok123" and "csrftoken" in client.cookies
    assert client.cookies.get_dict() == {"csrftoken": "tok123"}
    assert isinstance(client.cookies, RequestsCookieJar)
    assert isinstance(response.cookies, RequestsCookieJar)


def test_cookies_set_by_hand_are_sent(client):
    client.cookies.set("a", "1")
    client.cookies["b"] = "2"
    client.cookies.set("p", "3", path="/private")
    assert sent_cookies(client.get("/echo")) == ["a=1", "b=2"]
    assert sent_cookies(client.get("/private/x")) == ["a=1", "b=2", "p=3"]
    del client.cookies["a"]
    client.cookies.update({"c": "4"})
    assert sent_cookies(client.get("/echo")) == ["b=2", "c=4"]
    client.cookies.clear()
    assert sent_cookies(client.get("/echo")) == []


def test_login_cookies_by_name_and_path(client):
    client.get("/login")
    assert client.cookies["session"] == "abc123"
    assert client.cookies.get("private", path="/private") == "p1"
    assert sorted(client.cookies.keys()) == ["private", "session"]


def test_a_plain_cookiejar_can_be_assigned(client):
    jar = http.cookiejar.CookieJar()
    client.cookies = jar
    client.get("/set_cookie?name=k&value=v")
    assert client.cookies is jar and [c.name for c in jar] == ["k"]
    assert sent_cookies(client.get("/echo")) == ["k=v"]


def test_assigning_a_dict_makes_a_requests_jar(client):
    client.cookies = {"t": "1"}
    assert isinstance(client.cookies, RequestsCookieJar) and client.cookies["t"] == "1"
    assert sent_cookies(client.get("/echo")) == ["t=1"]


def test_per_request_cookies_accept_a_requests_jar(client):
    extra = RequestsCookieJar()
    extra["x"] = "1"
    assert sent_cookies(client.get("/echo", cookies=extra)) == ["x=1"]
    assert "x" not in client.cookies
