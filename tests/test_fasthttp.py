"""FastHttpSession and FastHttpLocust against the stdlib test server in a thread.

The network failures (resets, timeouts, drips, big bodies), TLS and nginx
are in test_fasthttp_network.py.
"""

import io
import json
import subprocess
import sys

import pytest

from locust import events
from locust.contrib.fasthttp import (
    ConnectionError,
    FastHttpLocust,
    FastHttpSession,
    HTTPError,
    ProxyError,
    RequestException,
    ResponseContextManager,
    TooManyRedirects,
)
from locust.engine import joinall, spawn
from locust.exception import CatchResponseError, InterruptTaskSet, LocustError, ResponseError
from support import child_env
from support.http_target import TEXT, start_proxy, start_server

# -- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    srv = start_server()
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    session = FastHttpSession(server.url)
    yield session
    session.close()


class Reports(list):
    """Every request event fired during a test: ("success"|"failure", kwargs)."""

    def only(self):
        assert len(self) == 1, self
        return self[0]


@pytest.fixture
def reports():
    log = Reports()

    def on_success(**kw):
        log.append(("success", kw))

    def on_failure(**kw):
        log.append(("failure", kw))

    events.request_success += on_success
    events.request_failure += on_failure
    yield log
    events.request_success -= on_success
    events.request_failure -= on_failure


def echo(response):
    return json.loads(response.content)


# -- basics -------------------------------------------------------------------


def test_get_200_reports_one_success(client, reports):
    response = client.get("/ok")
    assert response.status_code == 200
    assert response.ok and bool(response)
    assert response.content == b"ok"
    assert response.text == "ok"
    assert response.reason == "OK"
    assert response.url == client.base_url + "/ok"
    assert response.elapsed.total_seconds() > 0
    kind, kw = reports.only()
    assert kind == "success"
    assert kw["request_type"] == "GET"
    assert kw["name"] == "/ok"
    assert kw["response_length"] == 2
    assert kw["response_time"] > 0


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods_are_sent_and_recorded(client, reports, method):
    response = getattr(client, method.lower())("/echo")
    assert echo(response)["method"] == method
    assert reports.only()[1]["request_type"] == method


def test_head_has_no_body(client, reports):
    response = client.head("/ok")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "2"
    assert reports.only()[1]["response_length"] == 0


def test_method_is_upper_cased(client, reports):
    assert echo(client.request("get", "/echo"))["method"] == "GET"
    assert reports.only()[1]["request_type"] == "GET"


def test_absolute_url_and_base_url_with_a_path(client, server, reports):
    assert client.get(server.url + "/ok").status_code == 200
    session = FastHttpSession(server.url + "/echo/")
    assert echo(session.get("/sub?x=1"))["path"] == "/echo/sub?x=1"
    assert [kw["name"] for _, kw in reports] == ["/ok", "/echo/sub?x=1"]


def test_name_and_rename_request(client, reports):
    client.get("/ok", name="custom")
    with client.rename_request("grouped"):
        client.get("/ok?a=1")
        client.get("/ok?a=2")
    client.get("/ok")
    assert [kw["name"] for _, kw in reports] == ["custom", "grouped", "grouped", "/ok"]


def test_4xx_and_5xx_are_failures_with_http_error(client, reports):
    for code in (404, 500):
        response = client.get("/status/%d" % code)
        assert response.status_code == code
        assert not response.ok
        with pytest.raises(HTTPError, match="%d" % code):
            response.raise_for_status()
    assert [kind for kind, _ in reports] == ["failure", "failure"]
    assert isinstance(reports[0][1]["exception"], HTTPError)
    assert "404 Client Error" in str(reports[0][1]["exception"])


def test_connections_are_kept_alive(server):
    session = FastHttpSession(server.url)
    before = len(server.connections)
    for _ in range(20):
        assert session.get("/ok").status_code == 200
    assert len(server.connections) - before == 1
    assert session.pool.idle_count() == 1


def test_the_same_request_is_built_once_until_the_headers_change(client):
    client.get("/echo")
    prepared = dict(client._cache)
    client.get("/echo")
    assert dict(client._cache) == prepared  # the same Prepared object was reused
    client.headers["X-Later"] = "yes"
    assert echo(client.get("/echo"))["headers"]["X-Later"] == "yes"
    del client.headers["X-Later"]
    assert "X-Later" not in echo(client.get("/echo"))["headers"]


def test_requests_with_their_own_headers_are_built_once_per_header_set(client):
    for value in ("a", "b", "a"):
        assert echo(client.get("/echo", headers={"X-V": value}))["headers"]["X-V"] == value
    assert len([key for key in client._cache if len(key) == 3 and key[1] == "/echo"]) == 2
    assert echo(client.get("/echo", headers=[("X-L", "1")]))["headers"]["X-L"] == "1"


def test_sessions_on_the_default_headers_share_prepared_requests(server):
    first, second = FastHttpSession(server.url), FastHttpSession(server.url)
    first.get("/ok")
    assert first._cache is second._cache
    second.headers["X-Own"] = "1"
    assert first._cache is not second._cache
    assert "X-Own" not in echo(first.get("/echo"))["headers"]
    assert echo(second.get("/echo"))["headers"]["X-Own"] == "1"
    assert first.cookiejar is not second.cookiejar


def test_response_request_describes_what_was_sent(client):
    response = client.post("/echo?q=1", data="body", headers={"X-R": "1"})
    request = response.request
    assert (request.method, request.url, request.body) == ("POST", client.base_url + "/echo?q=1",
                                                         b"body")
    assert request.headers["X-R"] == "1" and request.path_url == "/echo?q=1"
    request.headers["X-R"] = "changed"
    assert client.get("/ok").request.headers.get("X-R") is None
    assert client.post("/echo?q=1", data="body", headers={"X-R": "1"}).request.headers["X-R"] == "1"


def test_default_headers(client):
    headers = echo(client.get("/echo"))["headers"]
    assert headers["User-Agent"].startswith("python-locust-fasthttp/")
    assert headers["Accept-Encoding"] == "gzip, deflate"
    assert headers["Accept"] == "*/*"
    assert headers["Host"] == client.base_url.split("//")[1]


def test_request_headers_merge_over_session_headers(server):
    session = FastHttpSession(server.url, headers={"X-Session": "s"})
    headers = echo(session.get("/echo", headers={"x-session": "r", "Accept": None,
                                                 "X-Extra": "e"}))["headers"]
    assert headers["x-session"] == "r"
    assert "X-Session" not in headers
    assert "Accept" not in headers
    assert headers["X-Extra"] == "e"
    # The next request is back to the session's.
    headers = echo(session.get("/echo"))["headers"]
    assert headers["X-Session"] == "s" and "X-Extra" not in headers


def test_a_header_value_with_a_line_break_is_refused(client, reports):
    for _ in range(2):
        with pytest.raises(RequestException):
            client.get("/echo", headers={"X-Bad": "a\r\nInjected: 1"})
    assert reports == []


def test_response_headers_are_case_insensitive(client):
    response = client.get("/ok")
    assert response.headers["CONTENT-TYPE"] == response.headers["content-type"]
    assert "Content-Length" in response.headers
    assert response.headers.get("nope", "x") == "x"
    assert response.headers.getlist("content-length") == ["2"]
    assert "Content-Type" in list(response.headers)


# -- cookies --------------------------------------------------------------------


def test_login_cookie_persists_and_respects_path(client):
    client.get("/login")
    assert echo(client.get("/echo"))["headers"]["Cookie"] == "session=abc123"
    cookie = echo(client.get("/private/page"))["headers"]["Cookie"]
    assert cookie == "private=p1; session=abc123"  # longest path first


def test_cookie_expiry_is_respected(client):
    client.get("/set_cookie?name=short&value=1&max_age=0")
    client.get("/set_cookie?name=kept&value=2&max_age=100")
    assert "short" not in client.cookiejar
    assert echo(client.get("/echo"))["headers"]["Cookie"] == "kept=2"
    client.get("/set_cookie?name=kept&value=2&expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert "Cookie" not in echo(client.get("/echo"))["headers"]


def test_response_cookies_and_the_requests_jar_api(client):
    response = client.get("/set_cookie?name=a&value=1")
    assert response.cookies["a"] == "1"
    jar = client.cookiejar
    assert jar is client.cookies
    assert jar["a"] == "1" and jar.get("a") == "1" and jar.get("zz", "d") == "d"
    assert "a" in jar and "zz" not in jar
    jar.set("b", "2")
    jar["c"] = "3"
    assert jar.get_dict() == {"a": "1", "b": "2", "c": "3"}
    assert sorted(cookie.name for cookie in jar) == ["a", "b", "c"]
    assert sorted(jar.keys()) == ["a", "b", "c"] and len(jar) == 3
    assert echo(client.get("/echo"))["headers"]["Cookie"] == "a=1; b=2; c=3"
    del jar["b"]
    jar.set("c", None)
    assert jar.get_dict() == {"a": "1"}
    with pytest.raises(KeyError):
        jar["b"]
    jar.clear()
    assert "Cookie" not in echo(client.get("/echo"))["headers"]


def test_per_request_cookies_are_sent_not_kept(client):
    client.cookiejar.set("kept", "1")
    assert echo(client.get("/echo", cookies={"once": "x"}))["headers"]["Cookie"] == "kept=1; once=x"
    assert client.cookiejar.get_dict() == {"kept": "1"}


def test_a_cookie_for_another_domain_is_refused(client):
    client.get("/set_cookie?name=evil&value=1&path=/;%20Domain=example.com")
    assert "evil" not in client.cookiejar


def test_cookies_set_during_a_redirect_are_used_on_the_next_hop(client):
    response = client.get("/set_cookie_redirect")
    assert echo(response)["headers"]["Cookie"] == "hop=1"


# -- redirects ------------------------------------------------------------------


def test_redirect_chain_is_followed_and_named_under_the_first_url(client, reports):
    response = client.get("/redirect/3")
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302, 302, 302]
    assert response.url.endswith("/echo")
    assert reports.only()[1]["name"] == "/redirect/3"


def test_302_turns_post_into_get_but_is_recorded_as_post(client, reports):
    response = client.post("/redirect_to?url=/echo", data="x")
    assert echo(response)["method"] == "GET"
    assert echo(response)["body"] == ""
    assert reports.only()[1]["request_type"] == "POST"


def test_307_keeps_method_and_body(client):
    data = echo(client.post("/redirect_to?url=/echo&status=307", data="payload"))
    assert (data["method"], data["body"]) == ("POST", "payload")


def test_allow_redirects_false(client, reports):
    response = client.get("/redirect/2", allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/redirect/1"
    assert response.is_redirect
    assert reports.only()[0] == "success"


def test_too_many_redirects_is_a_status_0_failure(server, reports):
    session = FastHttpSession(server.url, max_redirects=3)
    response = session.get("/loop")
    assert response.status_code == 0
    assert isinstance(response.error, TooManyRedirects)
    assert reports.only()[0] == "failure"


def test_authorization_dropped_when_a_redirect_changes_host(client, server):
    other = server.url.replace("127.0.0.1", "localhost")
    response = client.get("/redirect_to?url=%s/echo" % other, auth=("u", "p"))
    assert "Authorization" not in echo(response)["headers"]


def test_redirect_to_an_unsupported_scheme_is_a_failure(client, reports):
    response = client.get("/redirect_to?url=ftp://x/y")
    assert response.status_code == 0
    assert reports.only()[0] == "failure"


# -- bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/gzip", "/deflate"])
def test_compressed_bodies_are_decoded_on_demand(client, reports, path):
    response = client.get(path)
    assert response.text == TEXT * 100
    # The length reported is the body as received (compressed).
    assert reports.only()[1]["response_length"] < len(response.content)


def test_chunked_body(client):
    assert client.get("/lines").content == b"line one\nline two\nline three"


def test_form_json_and_raw_bodies(client):
    assert echo(client.post("/echo", data={"a": "1", "b": ["x", "y"]}))["body"] == "a=1&b=x&b=y"
    data = echo(client.post("/echo", json={"k": [1, 2]}))
    assert json.loads(data["body"]) == {"k": [1, 2]}
    assert data["headers"]["Content-Type"] == "application/json"
    assert echo(client.post("/echo", data=b"\x00\x01"))["body"] == "\x00\x01"
    assert echo(client.post("/echo", data="h\xe9"))["body"] == "h\xe9".encode().decode("latin-1")
    assert echo(client.put("/echo", data=io.BytesIO(b"file")))["body"] == "file"
    data = echo(client.post("/echo", data="x", headers={"Content-Type": "text/csv"}))
    assert data["headers"]["Content-Type"] == "text/csv"
    assert echo(client.post("/echo"))["headers"]["Content-Length"] == "0"


def test_multipart_files(client):
    data = echo(client.post("/echo", data={"field": "v"},
                            files={"up": ("a.txt", b"content", "text/plain")}))
    assert data["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    body = data["body"]
    assert 'name="field"' in body and "\r\n\r\nv\r\n" in body
    assert 'name="up"; filename="a.txt"' in body and "Content-Type: text/plain" in body
    assert "\r\n\r\ncontent\r\n" in body


def test_params(client, reports):
    data = echo(client.get("/echo?a=1", params={"b": "2 3", "c": ["x", "y"]}))
    assert data["path"] == "/echo?a=1&b=2+3&c=x&c=y"
    assert reports.only()[1]["name"] == "/echo?a=1&b=2+3&c=x&c=y"


def test_text_encoding_and_json(client):
    assert client.get("/text?charset=utf-8").text == TEXT
    response = client.get("/text?charset=latin-1")
    assert response.encoding == "latin-1" and response.text == TEXT
    response = client.get("/text?type=application/octet-stream")
    assert response.encoding is None and response.text == TEXT  # guessed UTF-8
    assert client.get("/json").json() == {"a": [1, 2], "b": TEXT}
    with pytest.raises(ValueError):
        client.get("/ok").json()


def test_stream_reads_the_body_when_asked(client, reports):
    response = client.get("/ok", stream=True)
    assert reports.only()[1]["response_length"] == 2  # from Content-Length
    assert response.content == b"ok"
    chunks = list(client.get("/lines", stream=True).iter_content(4))
    assert b"".join(chunks) == b"line one\nline two\nline three"
    lines = list(client.get("/lines", stream=True).iter_lines(decode_unicode=True))
    assert lines == ["line one", "line two", "line three"]
    assert client.get("/gzip", stream=True).stream.read() != b""
    # The connection was handed back: still one connection.
    assert client.pool.idle_count() == 1
    assert list(client.iter_lines("/lines")) == ["line one", "line two", "line three"]


def test_streamed_responses_dropped_unread_give_their_connection_back(server):
    session = FastHttpSession(server.url, concurrency=2)
    for _ in range(5):
        session.get("/gzip", stream=True)  # never read, dropped at once
    assert session.get("/ok", timeout=5).content == b"ok"


def test_an_unread_stream_closed_does_not_block_the_session(client):
    response = client.get("/gzip", stream=True)
    response.close()
    assert client.get("/ok").content == b"ok"


# -- auth -----------------------------------------------------------------------


def test_basic_auth_from_the_base_url_and_per_request(server):
    url = server.url.replace("http://", "http://us%40er:p%3Ass@")
    session = FastHttpSession(url)
    assert session.base_url == server.url
    auth = echo(session.get("/echo"))["headers"]["Authorization"]
    assert auth == "Basic dXNAZXI6cDpzcw=="  # us@er:p:ss
    auth = echo(session.get("/echo", auth=("a", "b")))["headers"]["Authorization"]
    assert auth == "Basic YTpi"


# -- errors at the call -----------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://", "http://exa mple.com/"])
def test_invalid_url_raises_and_reports_nothing(client, reports, url):
    with pytest.raises(RequestException):
        client.get(url)
    assert reports == []


def test_a_path_without_base_url_raises(reports):
    with pytest.raises(RequestException, match="No scheme supplied"):
        FastHttpSession(None).get("/x")
    assert reports == []


def test_unknown_keyword_arguments_are_refused(server):
    with pytest.raises(TypeError):
        FastHttpSession(server.url, nope=1)
    with pytest.raises(TypeError):
        FastHttpSession(server.url).get("/ok", verify=False)
    with pytest.raises(ValueError, match="proxy_host and proxy_port"):
        FastHttpSession(server.url, proxy_host="127.0.0.1")


def test_an_http_proxy(server, reports):
    proxy = start_proxy()
    try:
        port = proxy.server_address[1]
        session = FastHttpSession(server.url, proxy_host="127.0.0.1", proxy_port=port)
        for _ in range(2):
            response = session.get("/echo?x=1")
            assert response.headers["via"] == "test-proxy"
            assert echo(response)["path"] == "/echo?x=1"
        assert [seen[:2] for seen in proxy.seen] == [("GET", server.url + "/echo?x=1")] * 2
        assert [kw["name"] for _, kw in reports] == ["/echo?x=1"] * 2
        refused = FastHttpSession(server.url, proxy_host="127.0.0.1", proxy_port=1).get("/ok")
        assert refused.status_code == 0 and isinstance(refused.error, ProxyError)
    finally:
        proxy.stop()


def test_connection_refused_is_a_status_0_failure(reports):
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    response = FastHttpSession("http://127.0.0.1:%d" % port).get("/x")
    assert response.status_code == 0
    assert response.content is None and response.text == ""
    assert isinstance(response.error, ConnectionError)
    assert not response.ok
    with pytest.raises(ConnectionError):
        response.raise_for_status()
    kind, kw = reports.only()
    assert kind == "failure" and kw["exception"] is response.error
    assert response.request.url.endswith("/x")


# -- catch_response ----------------------------------------------------------------


def test_catch_response_success_on_404(client, reports):
    with client.get("/status/404", catch_response=True) as response:
        assert isinstance(response, ResponseContextManager)
        assert reports == []
        response.success()
    assert reports.only()[0] == "success"


def test_catch_response_failure_with_a_string_and_with_an_exception(client, reports):
    with client.get("/ok", catch_response=True) as response:
        response.failure("wrong body")
    with client.get("/ok", catch_response=True) as response:
        response.failure(ValueError("bad"))
    assert isinstance(reports[0][1]["exception"], CatchResponseError)
    assert isinstance(reports[1][1]["exception"], ValueError)


def test_catch_response_clean_exit_decides_by_status(client, reports):
    with client.get("/ok", catch_response=True):
        pass
    with client.get("/status/500", catch_response=True):
        pass
    assert [kind for kind, _ in reports] == ["success", "failure"]


def test_catch_response_response_error_is_swallowed_as_a_failure(client, reports):
    with client.get("/ok", catch_response=True):
        raise ResponseError("nope")
    assert reports.only()[0] == "failure"


@pytest.mark.parametrize("exc", [InterruptTaskSet(), KeyError("k")])
def test_catch_response_other_exception_propagates_unreported(client, reports, exc):
    with pytest.raises(type(exc)), client.get("/ok", catch_response=True):
        raise exc
    assert reports == []


def test_catch_response_first_decision_counts(client, reports):
    with client.get("/ok", catch_response=True) as response:
        response.failure("first")
        response.success()
    assert reports.only()[0] == "failure"


def test_catch_response_on_a_connection_error(reports):
    session = FastHttpSession("http://127.0.0.1:1")
    with session.get("/", catch_response=True) as response:
        assert response.status_code == 0
    assert reports.only()[0] == "failure"


def test_success_without_catch_response_is_an_error(client):
    with pytest.raises(LocustError, match="catch_response=True"):
        client.get("/ok").success()


# -- rest ---------------------------------------------------------------------


def test_rest_parses_json_and_sends_json_headers(client, reports):
    with client.rest("POST", "/echo", json={"x": 1}) as response:
        assert response.js["method"] == "POST"
        assert response.js["headers"]["Accept"] == "application/json"
        assert json.loads(response.js["body"]) == {"x": 1}
    assert reports.only()[0] == "success"


def test_rest_assertion_is_a_failure_with_its_message(client, reports):
    # (pytest rewrites assert statements in tests: raise what a locustfile's assert raises)
    with client.rest("GET", "/json") as response:
        if response.js["a"] != [9]:
            raise AssertionError("wrong a")
    kind, kw = reports.only()
    assert kind == "failure" and str(kw["exception"]) == "wrong a"


def test_rest_trailing_comma_message_adds_the_response(client, reports):
    with client.rest("GET", "/json") as response:
        if response.js["a"] != [9]:
            raise AssertionError("wrong a,")
    assert str(reports.only()[1]["exception"]).startswith("wrong a, response was {")


def test_rest_non_json_and_other_exceptions_are_failures(client, reports):
    with client.rest("GET", "/ok") as response:
        assert response.js is None
    with client.rest("GET", "/json") as response:
        response.js["missing"]
    assert "Could not parse response as JSON" in str(reports[0][1]["exception"])
    assert str(reports[1][1]["exception"]).startswith("KeyError: 'missing' at ")
    assert len(reports) == 2


def test_rest_underscore_adds_a_timestamp_and_names_it(client, reports):
    with client.rest_("GET", "/echo?a=1") as response:
        assert response.js["path"].startswith("/echo?a=1&_=")
    assert reports.only()[1]["name"] == "/echo?a=1&_=..."


# -- greenlets ------------------------------------------------------------------


def test_greenlets_sharing_a_session_are_bounded_by_concurrency(server, reports):
    session = FastHttpSession(server.url, concurrency=3)
    before = len(server.connections)
    joinall([spawn(session.get, "/sleep?s=0.05") for _ in range(12)], raise_error=True)
    assert len(reports) == 12
    assert all(kind == "success" for kind, _ in reports)
    assert len(server.connections) - before == 3


def test_a_killed_request_reports_nothing_and_the_session_recovers(client, reports):
    glet = spawn(client.get, "/sleep?s=0.5")
    joinall([glet], timeout=0.1)
    glet.kill()
    assert reports == []
    assert client.get("/ok").status_code == 200
    assert reports.only()[0] == "success"


# -- the user class -----------------------------------------------------------------


def test_fast_http_locust_makes_its_client_from_class_attributes(server):
    class User(FastHttpLocust):
        host = server.url
        network_timeout = 5.0
        connection_timeout = 2.0
        max_redirects = 1
        concurrency = 2
        default_headers = {"X-User": "1"}

    user = User()
    assert isinstance(user.client, FastHttpSession)
    assert user.client.pool.network_timeout == 5.0
    assert user.client.pool.connection_timeout == 2.0
    assert user.client.max_redirects == 1
    assert user.client.user is user
    assert echo(user.client.get("/echo"))["headers"]["X-User"] == "1"
    with user.rest("GET", "/json") as response:
        assert response.js["a"] == [1, 2]


def test_fast_http_locust_needs_a_host():
    class User(FastHttpLocust):
        pass

    with pytest.raises(LocustError, match="You must specify the base host"):
        User()


def test_importing_locust_does_not_import_the_fast_client():
    code = ("import sys, locust; assert 'locust._fasthttp' not in sys.modules; "
            "from locust import FastHttpLocust; assert 'locust._fasthttp.session' in sys.modules; "
            "from locust.contrib.fasthttp import FastHttpLocust as F; assert F is FastHttpLocust; "
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
