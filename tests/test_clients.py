"""HttpSession, Response and ResponseContextManager against stdlib servers in threads."""

import http.client
import io
import json
import os
import subprocess
import sys
import time
from http.cookiejar import CookieJar

import pytest

from locust import events
from locust._http.exceptions import HTTPError
from locust.clients import (
    ConnectionError,
    HttpSession,
    InvalidSchema,
    InvalidURL,
    JSONDecodeError,
    MissingSchema,
    ReadTimeout,
    RequestException,
    Response,
    ResponseContextManager,
    SSLError,
    Timeout,
    TooManyRedirects,
)
from locust.engine import GreenletExit, joinall, sleep, spawn
from locust.engine import Timeout as EngineTimeout
from locust.exception import CatchResponseError, InterruptTaskSet, ResponseError
from support import run_child
from support.http_target import TEXT, start_proxy, start_server

# -- fixtures -----------------------------------------------------------------

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


def closed_port():
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# -- basics -------------------------------------------------------------------

def test_get_200_reports_one_success(client, reports):
    response = client.get("/ok")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response.text == "ok"
    assert response.ok and bool(response)
    assert repr(response) == "<Response [200]>"
    assert response.url == client.base_url + "/ok"
    kind, kw = reports.only()
    assert kind == "success"
    assert kw["request_type"] == "GET" and kw["name"] == "/ok"
    assert kw["response_length"] == 2
    assert isinstance(kw["response_time"], float) and kw["response_time"] > 0


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_methods_are_sent_and_recorded(client, reports, method):
    response = getattr(client, method)("/echo")
    assert echo(response)["method"] == method.upper()
    assert reports.only()[1]["request_type"] == method.upper()


def test_head(client, reports):
    response = client.head("/ok")
    assert response.status_code == 200 and response.content == b""
    assert reports.only()[1]["request_type"] == "HEAD"


def test_request_method_is_upper_cased(client, reports):
    assert echo(client.request("get", "/echo"))["method"] == "GET"
    assert reports.only()[1]["request_type"] == "GET"


def test_absolute_url_is_used_as_given(client, server, reports):
    other = HttpSession("http://127.0.0.1:1")
    response = other.get(server.url + "/ok?x=1")
    assert response.status_code == 200
    assert reports.only()[1]["name"] == "/ok?x=1"


def test_base_url_with_a_path(server, reports):
    session = HttpSession(server.url + "/echo/")
    assert echo(session.get("/sub?a=1"))["path"] == "/echo/sub?a=1"
    assert reports.only()[1]["name"] == "/echo/sub?a=1"


def test_name_argument_groups_requests(client, reports):
    for i in range(3):
        client.get("/echo?id=%d" % i, name="/echo?id=[id]")
    assert [kw["name"] for _, kw in reports] == ["/echo?id=[id]"] * 3


def test_4xx_and_5xx_are_failures_with_http_error(client, reports):
    for code in (404, 500):
        response = client.get("/status/%d" % code)
        assert response.status_code == code and not response.ok
        with pytest.raises(HTTPError) as info:
            response.raise_for_status()
        assert info.value.response is response
        assert str(code) in str(info.value)
    assert [k for k, _ in reports] == ["failure", "failure"]
    assert isinstance(reports[0][1]["exception"], HTTPError)
    assert "404 Client Error" in str(reports[0][1]["exception"])
    assert "500 Server Error" in str(reports[1][1]["exception"])


def test_connections_are_kept_alive(server):
    session = HttpSession(server.url)
    before = len(server.connections)
    for _ in range(10):
        assert session.get("/ok").status_code == 200
    assert len(server.connections) - before == 1
    session.close()


def test_a_pooled_connection_closed_by_the_server_is_not_reused():
    # A server that closes each keep-alive connection once it has answered
    # (an idle timeout): the next request must see the close before it
    # sends, and open a new connection instead of failing.
    import socket
    import threading
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        session = HttpSession("http://127.0.0.1:%d" % listener.getsockname()[1])
        for _ in range(3):
            response = session.get("/")
            assert (response.status_code, response.content) == (200, b"ok")
            sleep(0.05)  # the close reaches us before the next request
        assert len(accepted) == 3
        session.close()
    finally:
        listener.close()


def test_an_idle_pooled_connection_holds_no_finished_response(server):
    # One pool per user: a response kept by http.client until the next
    # request would cost every idle user its headers (memory per user).
    session = HttpSession(server.url)
    assert session.get("/ok").content
    (pool,) = session._pools._pools.values()
    conns = [conn for conn in pool.pool._items if conn is not None]
    assert len(conns) == 1
    assert conns[0]._HTTPConnection__response is None
    assert session.get("/ok").status_code == 200   # and the connection still works
    assert len(server.connections) >= 1
    session.close()


# -- headers ------------------------------------------------------------------

def test_default_headers(client):
    headers = echo(client.get("/echo"))["headers"]
    assert headers["User-Agent"].startswith("python-locust/")
    assert headers["Accept-Encoding"] == "gzip, deflate"
    assert headers["Accept"] == "*/*"
    assert headers["Connection"] == "keep-alive"


def test_sessions_share_no_header_changes(server):
    # Sessions start on shared default headers (memory per user): a change
    # to one session's headers must reach that session only.
    first, second = HttpSession(server.url), HttpSession(server.url)
    first.headers["X-First"] = "1"
    del first.headers["Accept"]
    seen_first = echo(first.get("/echo"))["headers"]
    seen_second = echo(second.get("/echo"))["headers"]
    assert seen_first["X-First"] == "1" and "Accept" not in seen_first
    assert "X-First" not in seen_second and seen_second["Accept"] == "*/*"
    assert HttpSession(server.url).headers["Accept"] == "*/*"
    first.close()
    second.close()


def test_a_session_makes_its_headers_and_cookie_jar_only_when_used(server):
    session = HttpSession(server.url)
    assert session.get("/ok").status_code == 200
    assert session._headers is None and session._jar is None   # an idle user's saving
    assert len(session.cookies) == 0 and session._jar is not None
    assert session.headers["User-Agent"].startswith("python-locust/")
    session.close()


def test_headers_merge_over_session_headers(client):
    client.headers["X-Session"] = "s"
    client.headers["X-Both"] = "session"
    headers = echo(client.get("/echo", headers={"x-both": "request", "X-Req": "r",
                                                "Accept": None}))["header_list"]
    names = [k.lower() for k, _ in headers]
    assert dict((k.lower(), v) for k, v in headers)["x-both"] == "request"
    assert names.count("x-both") == 1
    assert ("X-Session", "s") in [tuple(h) for h in headers]
    assert ("X-Req", "r") in [tuple(h) for h in headers]
    assert "accept" not in names  # None removed a default
    # a later change of the session headers is seen
    del client.headers["X-Session"]
    client.headers["X-New"] = "n"
    headers = echo(client.get("/echo"))["headers"]
    assert "X-Session" not in headers and headers["X-New"] == "n"
    assert headers["X-Both"] == "session"


def test_a_header_value_with_a_line_break_is_refused_every_time(client):
    # Header lines are checked once and then remembered: a refused line
    # must not be remembered, and the session must stay usable.
    for _ in range(2):
        with pytest.raises(ValueError, match="Invalid header value"):
            client.get("/echo", headers={"X-Bad": "a\r\nInjected: 1"})
    for value in ("one", "two", "one"):
        headers = echo(client.get("/echo", headers={"X-Good": value}))["headers"]
        assert headers["X-Good"] == value and "Injected" not in headers


def test_response_headers_are_case_insensitive(client):
    response = client.get("/ok")
    assert response.headers["content-type"] == response.headers["Content-Type"]
    assert response.headers.get("CONTENT-LENGTH") == "2"


# -- cookies ------------------------------------------------------------------

def test_login_cookie_persists_and_respects_path(client):
    response = client.get("/login")
    assert {c.name for c in response.cookies} == {"session", "private"}
    assert isinstance(client.cookies, CookieJar)
    assert echo(client.get("/echo"))["headers"]["Cookie"] == "session=abc123"
    cookie = echo(client.get("/private/page"))["headers"]["Cookie"]
    assert sorted(cookie.split("; ")) == ["private=p1", "session=abc123"]


def test_cookie_expiry_is_respected(client):
    client.get("/set_cookie?name=a&value=1&max_age=3600")
    client.get("/set_cookie?name=b&value=2&max_age=3600")
    assert "a=1" in echo(client.get("/echo"))["headers"]["Cookie"]
    for cookie in client.cookies:
        if cookie.name == "a":
            cookie.expires = int(time.time()) - 10  # as if the time had passed
    assert echo(client.get("/echo"))["headers"]["Cookie"] == "b=2"
    # a Max-Age=0 deletes the cookie
    client.get("/set_cookie?name=b&value=2&max_age=0")
    assert "Cookie" not in echo(client.get("/echo"))["headers"]


def test_per_request_cookies_are_sent_not_kept(client):
    client.get("/set_cookie?name=kept&value=1")
    cookie = echo(client.get("/echo", cookies={"extra": "x"}))["headers"]["Cookie"]
    assert sorted(cookie.split("; ")) == ["extra=x", "kept=1"]
    assert [c.name for c in client.cookies] == ["kept"]


def test_cookies_set_during_redirect_are_used_on_the_next_hop(client):
    response = client.get("/set_cookie_redirect")
    assert echo(response)["headers"]["Cookie"] == "hop=1"
    assert [c.name for c in client.cookies] == ["hop"]


def test_session_cookies_can_be_assigned_a_dict(client):
    client.cookies = {"token": "t1"}
    assert echo(client.get("/echo"))["headers"]["Cookie"] == "token=t1"


# -- redirects ----------------------------------------------------------------

def test_redirect_chain_named_under_first_url(client, reports):
    response = client.get("/redirect/3?x=1")
    assert response.status_code == 200
    assert response.url.endswith("/echo")
    assert [r.status_code for r in response.history] == [302, 302, 302]
    assert [r.url.rsplit("/", 2)[-2:] for r in response.history] == [
        ["redirect", "3?x=1"], ["redirect", "2"], ["redirect", "1"]]
    kind, kw = reports.only()
    assert kind == "success" and kw["name"] == "/redirect/3?x=1"


def test_no_history_without_redirect(client):
    assert client.get("/ok").history == []


def test_302_turns_post_into_get_but_is_recorded_as_post(client, reports):
    response = client.post("/redirect_to?url=/echo", data={"a": "1"})
    data = echo(response)
    assert data["method"] == "GET" and data["body"] == ""
    assert "Content-Type" not in data["headers"]
    kind, kw = reports.only()
    assert kw["request_type"] == "POST" and kw["name"] == "/redirect_to?url=/echo"


def test_307_keeps_method_and_body(client):
    data = echo(client.post("/redirect_to?url=/echo&status=307", data=b"payload"))
    assert data["method"] == "POST" and data["body"] == "payload"


def test_slow_redirect_counted_once_with_full_time(client, reports):
    response = client.get("/slow_redirect")
    assert response.status_code == 200 and response.content == b"ok"
    kind, kw = reports.only()
    assert kind == "success" and kw["name"] == "/slow_redirect"
    assert kw["response_time"] >= 300


def test_allow_redirects_false(client, reports):
    response = client.get("/redirect/1", allow_redirects=False)
    assert response.status_code == 302 and response.is_redirect
    assert not response.is_permanent_redirect
    assert response.headers["Location"] == "/echo"
    assert reports.only()[0] == "success"


def test_head_does_not_follow_redirects(client):
    response = client.head("/redirect/1")
    assert response.status_code == 302 and response.history == []


def test_too_many_redirects_is_a_status_0_failure(client, reports):
    response = client.get("/loop")
    assert response.status_code == 0
    assert isinstance(response.error, TooManyRedirects)
    kind, kw = reports.only()
    assert kind == "failure" and isinstance(kw["exception"], TooManyRedirects)


def test_authorization_dropped_when_redirect_changes_host(client, server):
    other = server.url.replace("127.0.0.1", "localhost") + "/echo"
    same = echo(client.get("/redirect_to?url=/echo", auth=("u", "p")))
    assert "Authorization" in same["headers"]
    moved = echo(client.get("/redirect_to?url=" + other, auth=("u", "p")))
    assert "Authorization" not in moved["headers"]


def test_redirect_to_unsupported_scheme_is_a_failure(client, reports):
    response = client.get("/redirect_to?url=ftp://example.invalid/")
    assert response.status_code == 0 and isinstance(response.error, InvalidSchema)
    assert reports.only()[0] == "failure"


# -- bodies -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/gzip", "/deflate"])
def test_compressed_bodies_are_decoded(client, reports, path):
    response = client.get(path)
    assert response.text == TEXT * 100
    assert reports.only()[1]["response_length"] == len((TEXT * 100).encode("utf-8"))
    assert int(response.headers["Content-Length"]) < len(response.content)


def test_form_body(client):
    data = echo(client.post("/echo", data={"a": "1", "b": ["x", "y z"]}))
    assert data["body"] == "a=1&b=x&b=y+z"
    assert data["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    data = echo(client.post("/echo", data=[("k", "v"), ("k", "w")]))
    assert data["body"] == "k=v&k=w"


def test_json_body(client):
    data = echo(client.post("/echo", json={"n": 1, "s": "é"}))
    assert json.loads(data["body"].encode("latin-1").decode("utf-8")) == {"n": 1, "s": "é"}
    assert data["headers"]["Content-Type"] == "application/json"


def test_explicit_content_type_wins(client):
    data = echo(client.post("/echo", json=[1], headers={"content-type": "text/x-json"}))
    assert [v for k, v in data["header_list"] if k.lower() == "content-type"] == ["text/x-json"]


def test_multipart_body(client):
    files = {"upload": ("report.csv", io.BytesIO(b"a,b\n1,2\n"), "text/csv"),
             "plain": io.BytesIO(b"raw")}
    data = echo(client.post("/echo", data={"field": "value"}, files=files))
    ctype = data["headers"]["Content-Type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    body = data["body"]
    assert 'name="field"' in body and "value" in body
    assert 'name="upload"; filename="report.csv"' in body
    assert "Content-Type: text/csv" in body and "a,b\n1,2\n" in body
    assert 'name="plain"' in body and "raw" in body


@pytest.mark.parametrize("payload,expected", [
    (b"raw bytes", "raw bytes"), ("text é", "text é".encode().decode("latin-1")),
    (io.BytesIO(b"from a file"), "from a file"),
])
def test_raw_bodies(client, payload, expected):
    data = echo(client.put("/echo", data=payload))
    assert data["body"] == expected
    assert "Content-Type" not in data["headers"]
    assert data["headers"]["Content-Length"] == str(len(expected))


def test_generator_body_is_chunked(client):
    data = echo(client.post("/echo", data=(part for part in (b"ab", b"cd"))))
    assert data["body"] == "abcd"
    assert data["headers"]["Transfer-Encoding"] == "chunked"


# -- query parameters ---------------------------------------------------------

def test_params(client, reports):
    assert echo(client.get("/echo", params={"a": "1", "b": ["2", "3"], "n": None}))["path"] \
        == "/echo?a=1&b=2&b=3"
    assert echo(client.get("/echo", params=[("x", "1"), ("x", "2")]))["path"] == "/echo?x=1&x=2"
    assert echo(client.get("/echo?q=0", params={"a": "b c"}))["path"] == "/echo?q=0&a=b+c"
    assert echo(client.get("/echo", params="raw=1"))["path"] == "/echo?raw=1"
    assert reports[0][1]["name"] == "/echo?a=1&b=2&b=3"


def test_session_params(client):
    client.params = {"key": "k"}
    assert echo(client.get("/echo", params={"a": "1"}))["path"] == "/echo?key=k&a=1"
    assert echo(client.get("/echo"))["path"] == "/echo?key=k"


# -- auth ---------------------------------------------------------------------

def test_basic_auth_tuple(client):
    header = echo(client.get("/echo", auth=("user", "pass")))["headers"]["Authorization"]
    assert header == "Basic dXNlcjpwYXNz"


def test_basic_auth_from_base_url(server):
    session = HttpSession(server.url.replace("://", "://user:pa%40ss@"))
    assert session.base_url == server.url
    header = echo(session.get("/echo"))["headers"]["Authorization"]
    import base64
    assert base64.b64decode(header.split()[1]) == b"user:pa@ss"


def test_session_auth_and_url_auth(client, server):
    client.auth = ("a", "b")
    assert echo(client.get("/echo"))["headers"]["Authorization"] == "Basic YTpi"
    client.auth = None
    url = server.url.replace("://", "://x:y@") + "/echo"
    assert echo(client.get(url))["headers"]["Authorization"] == "Basic eDp5"


def test_custom_auth_callable(client):
    seen = []

    def token_auth(request):
        seen.append((request.method, request.url))
        request.headers["Authorization"] = "Bearer t0k3n"
        return request

    data = echo(client.get("/echo?x=1", auth=token_auth))
    assert data["headers"]["Authorization"] == "Bearer t0k3n"
    assert seen == [("GET", client.base_url + "/echo?x=1")]


# -- safe mode ----------------------------------------------------------------

def test_connection_refused_is_a_status_0_failure(reports):
    session = HttpSession("http://127.0.0.1:%d" % closed_port())
    response = session.get("/x")
    assert response.status_code == 0
    assert response.content is None
    assert response.text == ""
    assert not response.ok
    assert isinstance(response.error, ConnectionError)
    with pytest.raises(ConnectionError):
        response.raise_for_status()
    kind, kw = reports.only()
    assert kind == "failure" and kw["exception"] is response.error and kw["name"] == "/x"


def test_timeout_is_a_status_0_failure(client, reports):
    response = client.get("/sleep?s=1.5", timeout=0.2)
    assert response.status_code == 0    # not the 200 that comes after 1.5 s
    assert isinstance(response.error, Timeout) and isinstance(response.error, ReadTimeout)
    kind, kw = reports.only()
    assert kind == "failure" and isinstance(kw["exception"], Timeout)
    # the session is still usable
    assert client.get("/ok", timeout=(1, 2)).status_code == 200


@pytest.mark.parametrize("path", ["/reset", "/drop"])
def test_server_closing_mid_response_is_a_status_0_failure(client, reports, path):
    response = client.get(path)
    assert response.status_code == 0 and response.content is None
    assert isinstance(response.error, RequestException)
    assert reports.only()[0] == "failure"
    assert client.get("/ok").status_code == 200


@pytest.mark.parametrize("url,exc", [
    ("ftp://example.com/x", InvalidSchema), ("http://", InvalidURL),
    ("http://:80/x", InvalidURL), ("http://host:99999/", InvalidURL),
])
def test_invalid_url_raises_and_reports_nothing(client, reports, url, exc):
    with pytest.raises(exc):
        client.get(url)
    assert reports == []


def test_path_without_base_url_raises_missing_schema(reports):
    with pytest.raises(MissingSchema):
        HttpSession(None).get("/x")
    with pytest.raises(ValueError):  # MissingSchema is a ValueError too, as in requests
        HttpSession("").get("/x")
    assert reports == []


# -- catch_response -----------------------------------------------------------

def test_catch_response_success_on_404(client, reports):
    with client.get("/status/404", catch_response=True) as response:
        assert isinstance(response, ResponseContextManager) and isinstance(response, Response)
        assert reports == []
        assert response.status_code == 404
        response.success()
    kind, kw = reports.only()
    assert kind == "success" and kw["name"] == "/status/404"


def test_catch_response_failure_with_string(client, reports):
    with client.get("/ok", catch_response=True) as response:
        response.failure("wrong content")
    kind, kw = reports.only()
    assert kind == "failure"
    assert isinstance(kw["exception"], CatchResponseError)
    assert str(kw["exception"]) == "wrong content"


def test_catch_response_failure_with_exception(client, reports):
    error = ValueError("bad")
    with client.get("/ok", catch_response=True) as response:
        response.failure(error)
    assert reports.only()[1]["exception"] is error


def test_catch_response_clean_exit_decides_by_status(client, reports):
    with client.get("/status/500", catch_response=True):
        pass
    with client.get("/ok", catch_response=True):
        pass
    assert [k for k, _ in reports] == ["failure", "success"]
    assert isinstance(reports[0][1]["exception"], HTTPError)


def test_catch_response_response_error_is_swallowed_as_failure(client, reports):
    with client.get("/ok", catch_response=True):
        raise ResponseError("not what I wanted")
    kind, kw = reports.only()
    assert kind == "failure" and str(kw["exception"]) == "not what I wanted"


@pytest.mark.parametrize("exc", [KeyError("k"), InterruptTaskSet()])
def test_catch_response_other_exception_propagates_unreported(client, reports, exc):
    with pytest.raises(type(exc)), client.get("/ok", catch_response=True):
        raise exc
    assert reports == []


def test_catch_response_first_decision_counts(client, reports):
    with client.get("/ok", catch_response=True) as response:
        response.failure("first")
        response.success()
        response.failure("third")
    kind, kw = reports.only()
    assert kind == "failure" and str(kw["exception"]) == "first"


def test_catch_response_connection_error(reports):
    session = HttpSession("http://127.0.0.1:%d" % closed_port())
    with session.get("/x", catch_response=True) as response:
        assert response.status_code == 0 and response.content is None
    kind, kw = reports.only()
    assert kind == "failure" and isinstance(kw["exception"], ConnectionError)
    with session.get("/x", catch_response=True) as response:
        response.success()  # the user may decide otherwise
    assert reports[1][0] == "success"


def test_catch_response_time_excludes_the_block(client, reports):
    start = time.perf_counter()
    with client.get("/ok", catch_response=True):
        before_block = (time.perf_counter() - start) * 1000
        time.sleep(0.5)
    assert reports.only()[1]["response_time"] <= before_block


# -- timing and streaming -----------------------------------------------------

def test_body_download_counts_unless_streaming(server, client, reports):
    client.get("/slow_body?s=0.5")
    full = reports[0][1]
    assert full["response_time"] >= 500
    assert full["response_length"] == 1000
    # The server holds the body back until the test opens its gate: the
    # streamed request is reported (and returns) at the head.
    start = time.perf_counter()
    response = client.get("/gated_body?name=streamed", stream=True)
    returned = time.perf_counter() - start
    streamed = reports[1][1]
    assert streamed["response_time"] <= returned * 1000
    assert streamed["response_length"] == 1000  # from Content-Length
    assert response.elapsed.total_seconds() <= returned
    server.open_gate("streamed")
    assert len(response.content) == 1000  # read now


def test_iter_content_and_lines(client):
    response = client.get("/lines", stream=True)
    assert response.raw is not None
    assert list(response.iter_lines()) == [b"line one", b"line two", b"line three"]
    response = client.get("/lines")
    assert b"".join(response.iter_content(4)) == b"line one\nline two\nline three"
    assert [len(c) for c in response.iter_content(10)] == [10, 10, 8]
    response.encoding = "utf-8"  # no Content-Type: decode_unicode needs an encoding
    assert list(response.iter_lines(decode_unicode=True, delimiter="\n")) == [
        "line one", "line two", "line three"]
    streamed = client.get("/gzip", stream=True)
    text = "".join(streamed.iter_content(64, decode_unicode=True))
    assert text == TEXT * 100


# -- Response attributes ------------------------------------------------------

def test_text_and_encoding(client):
    response = client.get("/text?charset=utf-8")
    assert response.encoding == "utf-8" and response.text == TEXT
    response = client.get("/text?charset=iso-8859-1")
    assert response.text == TEXT
    # text/* without a charset is ISO-8859-1, like requests
    response = client.get("/text?enc=utf-8")
    assert response.encoding == "ISO-8859-1"
    assert response.apparent_encoding == "utf-8"
    response.encoding = "utf-8"
    assert response.text == TEXT
    # no charset, not text: guessed from the body
    response = client.get("/text?type=application/octet-stream&enc=latin-1")
    assert response.encoding is None and response.apparent_encoding == "ISO-8859-1"
    assert response.text == TEXT


def test_json_links_and_misc(client):
    response = client.get("/json")
    assert response.json() == {"a": [1, 2], "b": TEXT}
    with pytest.raises(ValueError):
        client.get("/ok").json()
    links = client.get("/links").links
    assert links["next"]["url"] == "https://x.test/page2"
    assert links["last"]["url"] == "https://x.test/page9"
    assert response.request.method == "GET" and response.request.url.endswith("/json")
    assert response.request.headers["user-agent"].startswith("python-locust/")
    assert response.elapsed.total_seconds() > 0
    assert response.reason == "OK"
    assert response.cookies is not None and len(response.cookies) == 0


def test_fast_head_parser_agrees_with_http_client():
    from locust._http.pool import read_head
    raw = (b"Content-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
           b"X-Folded: one\r\n  two\r\nX-Empty:\r\nX-Spaces:   padded  \r\n\r\nBODY")
    fast = read_head(io.BytesIO(raw))
    slow = http.client.parse_headers(io.BytesIO(raw))
    assert isinstance(fast, http.client.HTTPMessage)
    assert [k for k, _ in fast.items()] == [k for k, _ in slow.items()]
    assert fast.get_all("set-cookie") == slow.get_all("set-cookie") == ["a=1", "b=2"]
    assert fast["content-type"] == slow["content-type"]
    assert fast["x-empty"] == "" and fast["x-spaces"] == "padded"
    assert " ".join(slow["x-folded"].split()) == fast["x-folded"] == "one two"
    assert fast.defects == []
    assert read_head(io.BytesIO(b"no colon here\r\n\r\n")).defects


# -- HTTPS --------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_ca(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    ca.server_cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("ca")
    ca.ca_file = str(folder / "ca.pem")
    ca.cert_pem.write_to_path(ca.ca_file)
    ca.client_file = str(folder / "client.pem")
    ca.issue_cert("client.test").private_key_and_cert_chain_pem.write_to_path(ca.client_file)
    return ca


@pytest.fixture(scope="module")
def tls_server(tls_ca):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ca.server_cert.configure_cert(ctx)
    srv = start_server(ssl_context=ctx)
    srv.ca_file = tls_ca.ca_file
    yield srv
    srv.stop()


def test_https_client_certificate(tls_ca, reports):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ca.server_cert.configure_cert(ctx)
    tls_ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED
    srv = start_server(ssl_context=ctx)
    try:
        session = HttpSession(srv.url, verify=tls_ca.ca_file)
        assert session.get("/ok", cert=tls_ca.client_file).content == b"ok"
        assert HttpSession(srv.url, verify=tls_ca.ca_file).get("/ok").status_code == 0
        assert [k for k, _ in reports] == ["success", "failure"]
    finally:
        srv.stop()


def test_https_with_ca_file(tls_server, reports):
    session = HttpSession(tls_server.url, verify=tls_server.ca_file)
    for _ in range(3):
        response = session.get("/ok")
        assert response.status_code == 200 and response.content == b"ok"
    assert [k for k, _ in reports] == ["success"] * 3
    assert session.get("/gzip").text == TEXT * 100


def test_https_without_verification(tls_server):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = HttpSession(tls_server.url).get("/ok", verify=False)
    assert response.status_code == 200


def test_https_unknown_ca_fails_with_status_0(tls_server, reports):
    response = HttpSession(tls_server.url).get("/ok")
    assert response.status_code == 0 and isinstance(response.error, SSLError)
    assert reports.only()[0] == "failure"


def test_https_bad_ca_path_raises(tls_server, reports):
    with pytest.raises(OSError):
        HttpSession(tls_server.url, verify="/nonexistent/ca.pem").get("/ok")
    assert reports == []


# -- proxies ------------------------------------------------------------------

def test_http_proxy(server, reports):
    proxy = start_proxy()
    try:
        session = HttpSession(server.url, proxies={"http": proxy.url})
        response = session.get("/echo?p=1")
        assert response.status_code == 200 and response.headers["Via"] == "test-proxy"
        method, target, _ = proxy.seen[-1]
        assert (method, target) == ("GET", server.url + "/echo?p=1")
        assert reports.only()[1]["name"] == "/echo?p=1"
    finally:
        proxy.stop()


def test_https_through_connect_proxy(tls_server):
    proxy = start_proxy()
    try:
        session = HttpSession(tls_server.url, verify=tls_server.ca_file,
                              proxies={"https": proxy.url})
        assert session.get("/ok").content == b"ok"
        assert proxy.seen[-1][0] == "CONNECT"
    finally:
        proxy.stop()


def test_unsupported_proxy_scheme_raises(server):
    with pytest.raises(InvalidSchema):
        HttpSession(server.url, proxies={"http": "socks5://127.0.0.1:1"}).get("/ok")


# -- concurrency --------------------------------------------------------------

def test_200_greenlets_wait_concurrently(server, reports):
    def user():
        return HttpSession(server.url).get("/rendezvous?group=200&n=200").status_code

    greenlets = [spawn(user) for _ in range(200)]
    joinall(greenlets, timeout=60)
    # 200 for all: the 200 requests were at the server at the same time.
    assert [g.value for g in greenlets] == [200] * 200
    assert len(reports) == 200 and all(k == "success" for k, _ in reports)


def test_killed_request_is_a_failure_and_session_recovers(client, reports):
    # Killed on the wire (a stop whose grace ran out): the server may have
    # it, so it is counted, as a failure with the exception that killed it.
    greenlet = spawn(client.get, "/sleep?s=2")
    sleep(0.2)
    greenlet.kill(GreenletExit("request interrupted by stop after 0.2 s"))
    assert greenlet.dead
    assert [(kind, data["name"], str(data["exception"])) for kind, data in reports] == [
        ("failure", "/sleep?s=2", "request interrupted by stop after 0.2 s")]
    # The locustfile's own Timeout is not a stop: nothing more is reported.
    with pytest.raises(EngineTimeout), EngineTimeout(0.2):
        client.get("/sleep?s=2")
    assert len(reports) == 1
    assert client.get("/ok").content == b"ok"
    assert len(reports) == 2 and reports[1][0] == "success"


def test_session_keyword_arguments_and_hooks(server):
    seen = []
    session = HttpSession(server.url, headers={"X-Init": "1"}, params={"p": "1"},
                          hooks={"response": [lambda r, **kw: seen.append(r.status_code)]})
    data = echo(session.get("/redirect/1"))
    assert data["headers"]["X-Init"] == "1" and data["path"] == "/echo"
    assert seen == [302, 200]
    with pytest.raises(TypeError):
        HttpSession(server.url, bogus=1)


def test_session_shared_by_greenlets(server):
    session = HttpSession(server.url)
    greenlets = [spawn(lambda i=i: echo(session.get("/echo?i=%d" % i))["path"])
                 for i in range(20)]
    joinall(greenlets, timeout=10)
    assert sorted(g.value for g in greenlets) == sorted("/echo?i=%d" % i for i in range(20))



def test_works_after_monkey_patch_all(server):
    # The CLI patches the stdlib before importing a locustfile; process-global,
    # hence a subprocess.
    code = (
        "import sys\n"
        "from locust.engine import monkey; monkey.patch_all()\n"
        "from locust.clients import HttpSession\n"
        "from locust.engine import joinall, spawn\n"
        "users = [spawn(lambda: HttpSession(sys.argv[1])\n"
        "               .get('/rendezvous?group=patched&n=20').status_code)\n"
        "         for _ in range(20)]\n"
        "joinall(users)\n"
        "print([u.value for u in users].count(200), HttpSession(sys.argv[1]).get('/ok').text)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([sys.executable, "-c", code, server.url], cwd=root, timeout=90,
                            capture_output=True, text=True)
    # 20 x 200: the 20 requests were at the server together.
    assert result.stdout.split() == ["20", "ok"], result.stderr


# -- Locust 2.x: the session's signature, request_event, context, catch_response --

class RequestLog(list):
    """An EventHook-like request event of the caller's own: records each firing's kwargs."""

    def fire(self, **kwargs):
        self.append(kwargs)


REQUEST_KWARGS = {"request_type", "name", "response_time", "response_length", "response",
                  "context", "exception", "start_time", "url"}


class FakeUser:
    def context(self):
        return {"user": "u1", "shared": "user"}


def test_2x_signature_fires_the_given_event_instead_of_the_0_7_pair(server, reports):
    hook = RequestLog()
    user = FakeUser()
    before = time.time()
    session = HttpSession(server.url, request_event=hook, user=user)
    assert session.user is user and session.request_event is hook
    response = session.get("/ok", context={"shared": "request"})
    assert reports == []   # the 0.7 events are not fired
    (kw,) = hook
    assert set(kw) == REQUEST_KWARGS
    assert kw["request_type"] == "GET" and kw["name"] == "/ok"
    assert kw["response_length"] == 2 and kw["response"] is response
    assert kw["exception"] is None and kw["url"] == server.url + "/ok"
    assert isinstance(kw["response_time"], float) and kw["response_time"] > 0
    assert before - 1 <= kw["start_time"] <= time.time()
    assert kw["context"] == {"user": "u1", "shared": "request"}
    session.close()


def test_2x_positional_signature_and_failures(server, reports):
    hook = RequestLog()
    session = HttpSession(server.url, hook, None)
    session.get("/status/404", name="/status/[code]")
    refused = HttpSession("http://127.0.0.1:%d" % closed_port(), hook)
    response = refused.get("/x")
    assert reports == []
    assert [kw["name"] for kw in hook] == ["/status/[code]", "/x"]
    assert isinstance(hook[0]["exception"], HTTPError)
    assert hook[1]["exception"] is response.error and isinstance(response.error, ConnectionError)
    assert hook[0]["context"] == {} and hook[1]["response_length"] == 0
    with pytest.raises(TypeError):
        HttpSession(server.url, hook, None, "a fourth")
    session.close()


def test_the_global_request_event_reports_each_request_once_to_both_apis(server, reports):
    # events.request is the 2.x hook that locust.events bridges with the 0.7
    # pair: a session given it reports each request once to each side, and a
    # listener of the 2.x hook gets the context.
    seen = []

    def on_request(**kw):
        seen.append(kw)

    session = HttpSession(server.url, request_event=events.request, user=FakeUser())
    session.get("/ok")                        # nobody listens to events.request yet
    events.request.add_listener(on_request)
    try:
        session.get("/ok", context={"shared": "request"})
        with session.get("/ok", catch_response=True) as response:
            response.failure("no")
    finally:
        events.request.remove_listener(on_request)
    assert [kind for kind, _ in reports] == ["success", "success", "failure"]
    assert reports[0][1] == {"request_type": "GET", "name": "/ok",
                             "response_time": reports[0][1]["response_time"],
                             "response_length": 2}   # the 0.7 arguments, no more
    assert len(seen) == 2
    assert seen[0]["context"] == {"user": "u1", "shared": "request"}
    assert seen[0]["exception"] is None and seen[1]["exception"] is not None
    session.close()


def test_context_without_a_user_is_passed_as_given(server):
    hook = RequestLog()
    session = HttpSession(server.url, request_event=hook)
    session.get("/ok")
    session.get("/ok", context={"k": 1})
    assert [kw["context"] for kw in hook] == [{}, {"k": 1}]
    session.close()


def test_catch_response_with_a_2x_request_event(server, reports):
    hook = RequestLog()
    session = HttpSession(server.url, request_event=hook, user=FakeUser())
    with session.get("/ok", catch_response=True, context={"c": 1}) as response:
        assert hook == []
        response.failure("wrong body")
    with session.get("/status/500", catch_response=True) as response:
        response.request_meta["name"] = "/renamed"
        response.success()
    with session.get("/status/404", catch_response=True):
        pass
    assert reports == []
    assert [kw["name"] for kw in hook] == ["/ok", "/renamed", "/status/404"]
    assert isinstance(hook[0]["exception"], CatchResponseError)
    assert str(hook[0]["exception"]) == "wrong body"
    assert hook[0]["context"] == {"user": "u1", "shared": "user", "c": 1}
    assert hook[1]["exception"] is None
    assert isinstance(hook[2]["exception"], HTTPError)
    assert all(set(kw) == REQUEST_KWARGS for kw in hook)
    session.close()


def test_catch_response_request_meta_renames_for_the_0_7_pair_too(client, reports):
    with client.get("/ok", catch_response=True) as response:
        assert response.request_meta["name"] == "/ok"
        response.request_meta["name"] = "/other"
    assert reports.only()[1]["name"] == "/other"


def test_failure_wraps_anything_but_an_exception(client, reports):
    with client.get("/ok", catch_response=True) as response:
        response.failure(42)
    exc = reports.only()[1]["exception"]
    assert isinstance(exc, CatchResponseError) and str(exc) == "42"


def test_a_response_context_manager_made_from_a_response(client, reports):
    response = client.get("/ok")
    hook = RequestLog()
    with ResponseContextManager(response, request_event=hook) as managed:
        assert managed.content == b"ok" and managed.status_code == 200
    (kw,) = hook
    assert kw["request_type"] == "GET" and kw["name"] == "/ok" and kw["exception"] is None
    with ResponseContextManager(response) as managed:
        managed.failure("bad")
    assert [k for k, _ in reports] == ["success", "failure"]


def test_rename_request(client, reports):
    with client.rename_request("/item/[id]"):
        client.get("/echo?id=1")
        client.get("/echo?id=2")
        client.get("/ok", name="/explicit")
        with client.rename_request("/inner"):
            client.get("/ok")
        client.get("/echo?id=3")
    client.get("/ok")
    assert [kw["name"] for _, kw in reports] == [
        "/item/[id]", "/item/[id]", "/explicit", "/inner", "/item/[id]", "/ok"]
    assert client.request_name is None


def test_headers_json_and_raise_for_status_as_in_2x(client):
    client.headers["X-Api-Key"] = "k1"
    data = client.get("/echo").json()
    assert data["headers"]["X-Api-Key"] == "k1"
    assert client.get("/ok").raise_for_status() is None
    with pytest.raises(HTTPError):
        client.get("/status/503").raise_for_status()
    with pytest.raises(JSONDecodeError) as info:
        client.get("/ok").json()
    # requests' JSONDecodeError: both a json.JSONDecodeError and a RequestException
    assert isinstance(info.value, json.JSONDecodeError) and isinstance(info.value, RequestException)
    assert str(info.value) == "Expecting value: line 1 column 1 (char 0)"


# -- Response: built by its constructor ------------------------------------------

def test_response_constructor():
    empty = Response()
    assert empty.status_code is None and len(empty.headers) == 0 and empty.history == []
    from urllib3 import HTTPHeaderDict
    response = Response(200, "OK", HTTPHeaderDict({"Content-Type": "application/json"}),
                        "http://x.test/a", None, None, 0.25, b'{"a": 1}')
    assert response.encoding == "utf-8"
    assert response.json() == {"a": 1} and response.ok and response.text == '{"a": 1}'
    assert response.elapsed.total_seconds() == 0.25
    assert len(response.cookies) == 0
    error = ConnectionError("refused")
    failed = Response.failed(error, response.request or type("R", (), {"url": "http://x"})())
    assert failed.status_code == 0 and failed.content is None and failed.error is error
    with pytest.raises(ConnectionError):
        failed.raise_for_status()


# -- verify=False: one InsecureRequestWarning per host ----------------------------------

def test_unverified_https_warns_once_per_host(tls_server, monkeypatch):
    import warnings

    from urllib3.exceptions import InsecureRequestWarning

    from locust._http import pool
    monkeypatch.setattr(pool, "_insecure_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = HttpSession(tls_server.url, verify=False)
        for _ in range(5):
            assert first.get("/ok").status_code == 200
        second = HttpSession(tls_server.url, verify=False)
        for _ in range(3):
            assert second.get("/ok").status_code == 200
        other_host = HttpSession(tls_server.url.replace("127.0.0.1", "localhost"), verify=False)
        assert other_host.get("/ok").status_code == 200
        verified = HttpSession(tls_server.url, verify=tls_server.ca_file)
        assert verified.get("/ok").status_code == 200
    insecure = [w for w in caught if issubclass(w.category, InsecureRequestWarning)]
    assert sorted(str(w.message).split("'")[1] for w in insecure) == ["127.0.0.1", "localhost"]
    for session in (first, second, other_host, verified):
        session.close()


def test_unverified_https_floods_no_stderr(tls_server):
    # With urllib3's own warning filter ("always" for its security warnings).
    code = """
        import sys
        from locust.clients import HttpSession
        session = HttpSession(sys.argv[1], verify=False)
        print(sum(session.get("/ok").status_code == 200 for _ in range(50)))
        """
    result = run_child(code, args=[tls_server.url])
    assert result.stdout.split() == ["50"], result.stderr
    assert result.stderr.count("InsecureRequestWarning") == 1, result.stderr


def test_urllib3_validate_conn_is_what_the_quiet_pool_repeats():
    # UnverifiedHTTPSConnectionPool._validate_conn does, after the first
    # warning for a host, what urllib3 2.x's does minus the warning: this
    # fails when a urllib3 release changes that method.
    import ast
    import inspect
    import textwrap

    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def statements(function):
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        body = tree.body[0].body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]   # the docstring
        return [ast.unparse(node) for node in body]

    assert statements(HTTPConnectionPool._validate_conn) == []
    https = statements(HTTPSConnectionPool._validate_conn)
    assert https[:2] == ["super()._validate_conn(conn)", "if conn.is_closed:\n    conn.connect()"]
    assert len(https) == 3 and https[2].startswith(
        "if not conn.is_verified and (not conn.proxy_is_verified):\n    warnings.warn(")
    assert "InsecureRequestWarning" in https[2]
