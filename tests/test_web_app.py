"""The dashboard's app takes Flask's route spellings (the seed and 2.x document
``web.app`` as a Flask app): ``methods=``, converters, tuple returns, and a
one-line error for what cannot be mapped. Requests go through the WSGI
interface of the app itself; one test runs the command line."""

import io
import json
import textwrap

import pytest

from locust.web_app import App, RouteError, flask_rule
from support.locust_process import assert_one_clean_line, run_locust


def call(app, method, path, body=b""):
    """(status line, headers dict, body bytes) of one request to a WSGI app."""
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "test", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": "application/x-www-form-urlencoded"}
    chunks = app(environ, start_response)
    return captured["status"], captured["headers"], b"".join(chunks)


@pytest.mark.parametrize("flask, bottle", [
    ("/items/<int:item_id>", "/items/<item_id:int>"),
    ("/f/<float:x>/<path:rest>", "/f/<x:float>/<rest:path>"),
    ("/s/<string:name>/<plain>", "/s/<name>/<plain>"),
    ("/static/<filepath:path>", "/static/<filepath:path>"),     # bottle's own spelling
    ("/re/<code:re:[a-z]+>", "/re/<code:re:[a-z]+>"),
])
def test_rules_are_translated(flask, bottle):
    assert flask_rule(flask) == bottle


@pytest.mark.parametrize("rule, says", [
    ("/u/<uuid:id>", "converter 'uuid'"),
    ("/a/<any(x, y):page>", "converter 'any'"),
    ("/i/<int(signed=True):n>", "arguments"),
])
def test_unmappable_rules_raise_one_line(rule, says):
    with pytest.raises(RouteError, match=says) as info:
        flask_rule(rule)
    assert "\n" not in str(info.value)


def test_methods_converters_and_tuple_returns():
    app = App()

    @app.route("/items/<int:item_id>", methods=["GET", "POST"])
    def item(item_id):
        return {"id": item_id, "double": item_id * 2}

    @app.route("/created", methods=["POST"], endpoint="create")
    def created():
        return "made", 201, {"X-Made": "yes"}

    @app.route("/teapot")
    def teapot():
        return "short and stout", 418

    status, _headers, body = call(app, "POST", "/items/21")
    assert status.startswith("200") and json.loads(body) == {"id": 21, "double": 42}
    assert call(app, "GET", "/items/abc")[0].startswith("404")
    status, headers, body = call(app, "POST", "/created")
    assert status.startswith("201") and headers["X-Made"] == "yes" and body == b"made"
    assert call(app, "GET", "/created")[0].startswith("405")
    assert call(app, "GET", "/teapot")[0].startswith("418")
    assert app.get_url("create") == "/created"
    assert item(3) == {"id": 3, "double": 6}  # the decorator returns the view itself


def test_unknown_flask_option_is_one_line():
    with pytest.raises(RouteError, match="defaults"):
        App().route("/x", defaults={"page": 1})


def test_locustfile_with_an_unmappable_route_is_one_line(tmp_path):
    (tmp_path / "routes.py").write_text(textwrap.dedent('''
        from locust import HttpUser, task, web

        @web.app.route("/items/<uuid:item_id>")
        def item(item_id):
            return "x"

        class U(HttpUser):
            @task
            def t(self):
                pass
    '''))
    result = run_locust(["-f", "routes.py", "--headless", "-u", "1", "-t", "1", "-H",
                         "http://127.0.0.1:1"], tmp_path)
    assert result.returncode == 1
    assert_one_clean_line(result)
    assert "routes.py:4:" in result.stderr and "converter 'uuid'" in result.stderr
