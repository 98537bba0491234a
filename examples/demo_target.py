"""A small web site to load test: the target of ``make demo`` and of the examples.

Run it::

    python examples/demo_target.py               # http://127.0.0.1:8080
    python examples/demo_target.py --port 0      # a free port, printed on start

It is a plain WSGI function served by the engine's own server
(``locust.engine.wsgi.WSGIServer``), no framework. It counts every request
it serves and reports the count at ``GET /__count`` (that request itself is
not counted) and when it exits (Ctrl-C or SIGTERM), so a load test's own
count can be checked against what the site actually saw.

Pages: ``/``, ``/login`` (GET: a form; POST: sets a ``session`` cookie),
``/profile`` (200 with or without the cookie; anonymous views are counted
apart), ``/about/``, ``/blog?id=N``, and for the nested example
``/forum/``, ``/forum/thread/<id>`` (GET; POST a reply), ``/forum/new``
(POST), ``/movies/``, ``/movies/<id>``. Anything else is a 404 (counted
too). Each response waits 0..``--max-delay-ms`` ms (cooperatively) so the
response times look like a real site's.
"""

import argparse
import json
import os
import random
import secrets
import signal
import sys
from urllib.parse import parse_qs

try:
    from locust.engine import get_hub, sleep
    from locust.engine.wsgi import WSGIServer
except ImportError:  # run from a checkout that is not installed
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from locust.engine import get_hub, sleep
    from locust.engine.wsgi import WSGIServer

import contextlib

from greenlet import getcurrent


class DemoSite:
    """The WSGI application; ``served`` counts the requests it answered."""

    def __init__(self, max_delay_ms=20):
        self.max_delay = max_delay_ms / 1000.0
        self.served = 0
        self.anonymous_profiles = 0
        self.sessions = set()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/__count":
            return self._reply(start_response, "200 OK", json.dumps({
                "served": self.served, "anonymous_profiles": self.anonymous_profiles}),
                "application/json")
        self.served += 1
        if self.max_delay:
            sleep(random.uniform(0, self.max_delay))
        query = parse_qs(environ.get("QUERY_STRING", ""))
        body = b""
        if method in ("POST", "PUT"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
        return self._route(method, path, query, body, environ, start_response)

    def _route(self, method, path, query, body, environ, start_response):
        page = lambda title, text="": self._reply(
            start_response, "200 OK", _html(title, text))
        if path == "/":
            return page("Demo site", '<a href="/profile">profile</a> <a href="/about/">about</a> '
                                     '<a href="/blog?id=1">blog</a> <a href="/forum/">forum</a>')
        if path == "/login":
            if method == "POST":
                form = parse_qs(body.decode("latin-1"))
                token = secrets.token_hex(8)
                self.sessions.add(token)
                user = form.get("username", ["someone"])[0]
                return self._reply(start_response, "200 OK", _html("Welcome", user),
                                   headers=[("Set-Cookie", "session=%s; Path=/" % token)])
            return page("Log in", '<form method="post"><input name="username">'
                                  '<input name="password" type="password"></form>')
        if path == "/profile":
            if _session(environ) not in self.sessions:
                self.anonymous_profiles += 1
                return page("Profile", "anonymous")
            return page("Profile", "logged in")
        if path == "/about/":
            return page("About", "A small site to load test.")
        if path == "/blog":
            return page("Blog post %s" % query.get("id", ["?"])[0], "lorem ipsum " * 50)
        if path == "/forum/" or path == "/movies/":
            return page(path.strip("/").title(), "index")
        if path.startswith("/forum/thread/") or path.startswith("/movies/"):
            return page("Item", path.rsplit("/", 1)[-1])
        if path == "/forum/new" and method == "POST":
            return self._reply(start_response, "201 Created", _html("Created"))
        return self._reply(start_response, "404 Not Found", _html("Not found", path))

    @staticmethod
    def _reply(start_response, status, text, content_type="text/html; charset=utf-8",
               headers=()):
        data = text.encode("utf-8")
        start_response(status, [("Content-Type", content_type),
                                ("Content-Length", str(len(data)))] + list(headers))
        return [data]


def _html(title, text=""):
    return "<!doctype html><title>%s</title><h1>%s</h1><p>%s</p>" % (title, title, text)


def _session(environ):
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "session":
            return value
    return None


def main(argv=None):
    """Serve the demo site until Ctrl-C or SIGTERM, then print the count."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--max-delay-ms", type=float, default=20)
    args = parser.parse_args(argv)

    site = DemoSite(args.max_delay_ms)
    server = WSGIServer((args.host, args.port), site)
    server.start()
    print("Demo target listening on http://%s:%d" % (args.host, server.server_port), flush=True)

    hub, main_greenlet = get_hub(), getcurrent()

    def on_signal(signum, frame):
        # Raise in the main greenlet, not in whichever one the signal hit.
        hub.run_callback(main_greenlet.throw, KeyboardInterrupt)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.stop(timeout=1)
    print("Demo target served %d requests" % site.served, flush=True)


if __name__ == "__main__":
    main()
