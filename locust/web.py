"""The web dashboard: a bottle application served by the engine's WSGI server.

``app`` is a module-level ``bottle.Bottle``, so a locustfile can add its own
pages before the server starts::

    from locust import web

    @web.app.route("/added_page")
    def my_added_page():
        return "Another page"

:func:`start` serves ``app`` on :class:`locust.engine.wsgi.WSGIServer` (one
greenlet per connection, in the process's hub) and returns at once.

The routes are those of Locust 0.7.2 (``/``, ``/swarm``, ``/stop``,
``/stats/reset``, ``/stats/requests``, the CSV downloads, ``/exceptions``)
plus ``/stats/failures/csv``, ``/stats/history`` (the samples of the test,
:mod:`locust.history`), ``/logs`` (the last log lines) and ``/metrics``
(Prometheus, :mod:`locust.metrics`).  The runner is looked up per request: the one
given to :func:`start` (kept in the WSGI environ, so two servers in one
process can serve two runners), else ``locust.runners.locust_runner``.
``/stats/requests`` is computed on every call instead of being cached for
2 s as the original did: it walks the entries once, reads a few
percentiles from histograms of a few hundred buckets each and merges the
current window's per-second histograms, about 0.25 ms per entry
(measured: 200 entries of 2,100 samples over 30 s, 50 ms), so a test with
a few dozen request names costs a few milliseconds per poll.
``/stats/history`` of a full 24 h ring is 2.2 MB of JSON made in ~110 ms
(once, when a page loads); the page's polls ask only for the samples after
its last one (~1.5 ms).

The page itself is ``templates/index.html`` (a bottle SimpleTemplate) with
``static/locust.js`` (polling, tables, dialogs), ``static/charts.js`` and
``static/charts.css`` (the charts, built from history samples alone so that
a static report can inline them), uPlot (``static/uPlot.iife.min.js``, ``static/uPlot.min.css``,
vendored with its ``static/uPlot.LICENSE``) and ``static/style.css``, all
served from this package: the dashboard needs no internet access.
"""

import base64
import binascii
import hmac
import ipaddress
import json
import logging
import math
import os
import time
from urllib.parse import urlsplit

import bottle

from . import __version__, logbuffer, stats_report
from .core import HttpLocust

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "app", "parse_auth", "start"]

logger = logging.getLogger(__name__)

_HERE = os.path.dirname(os.path.abspath(__file__))
#: Where index.html lives.
TEMPLATE_DIR = os.path.join(_HERE, "templates")
#: Where the dashboard's CSS and JavaScript live (served under /static/).
STATIC_DIR = os.path.join(_HERE, "static")

#: The dashboard application; add routes to it from a locustfile.
app = bottle.Bottle()

# The WSGI environ key under which start() hands its runner to the routes.
_RUNNER_KEY = "locust.runner"

# Percentile fields of /stats/requests, under the names later Locust
# versions use, read from stats_report.request_rows' pNN_response_time keys.
_PERCENTILE_ALIASES = (("p90_response_time", "response_time_percentile_90"),
                       ("p95_response_time", "response_time_percentile_95"),
                       ("p99_response_time", "response_time_percentile_99"))


# ---------------------------------------------------------------- helpers

def _runner():
    """The runner this request is about; raises a 503 HTTPResponse if none."""
    runner = bottle.request.environ.get(_RUNNER_KEY)
    if runner is None:
        # Imported here: runners imports the whole locustfile API, and a
        # plain ``from locust import web`` in a locustfile must stay light.
        from . import runners
        runner = runners.locust_runner
    if runner is None:
        raise _json_error(503, "No test runner is set up in this process")
    return runner


def _json_error(status, message):
    """An HTTPResponse (raise it) with ``{"success": false, "message": ...}``."""
    return bottle.HTTPResponse(
        status=status, body=json.dumps({"success": False, "message": message}),
        headers={"Content-Type": "application/json"})


def _is_master(runner):
    # Duck-typed, so that any runner with slaves (and test doubles) qualify;
    # the master is the only runner with a slave_count.
    return hasattr(runner, "slave_count")


def _host_of(runner):
    """The target host shown on the page: the runner's, else the first class's."""
    host = getattr(runner, "host", None)
    if host:
        return host
    for cls in getattr(runner, "locust_classes", None) or ():
        if getattr(cls, "host", None):
            return cls.host
    return None


def _csv_response(text, prefix):
    bottle.response.content_type = "text/csv; charset=utf-8"
    bottle.response.set_header(
        "Content-Disposition", "attachment; filename=%s_%d.csv" % (prefix, int(time.time())))
    return text if text.endswith("\n") else text + "\n"


def _finite(value):
    # JSON has no NaN or Infinity; browsers' JSON.parse rejects them.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ----------------------------------------------------------------- routes

@app.get("/")
def index():
    """The dashboard page."""
    runner = _runner()
    master = _is_master(runner)
    return _template().render(
        host=_host_of(runner) or "",
        state=runner.state,
        is_distributed=master,
        slave_count=runner.slave_count if master else 0,
        user_count=runner.user_count,
        hatch_rate=getattr(runner, "hatch_rate", None) or 1,
        num_clients=getattr(runner, "num_clients", None) or 1,
        version=__version__,
    )


@app.post("/swarm")
def swarm():
    """Start a swarm, or change its size: locust_count (int), hatch_rate (float).

    ``user_count`` / ``spawn_rate`` are accepted for the same fields, and an
    optional ``host`` overrides the target host.  Bad input is answered
    with 400 and changes nothing.
    """
    runner = _runner()
    forms = bottle.request.forms
    count_text = forms.get("locust_count") or forms.get("user_count")
    rate_text = forms.get("hatch_rate") or forms.get("spawn_rate")
    if count_text is None or rate_text is None:
        raise _json_error(400, "locust_count and hatch_rate are required")
    try:
        locust_count = int(count_text.strip())
    except ValueError:
        raise _json_error(400, "locust_count must be a whole number, not %r" % count_text[:40]) from None
    try:
        hatch_rate = float(rate_text.strip())
    except ValueError:
        raise _json_error(400, "hatch_rate must be a number, not %r" % rate_text[:40]) from None
    if locust_count < 0:
        raise _json_error(400, "locust_count must not be negative")
    if not (math.isfinite(hatch_rate) and hatch_rate > 0):
        raise _json_error(400, "hatch_rate must be a number above 0")
    host = (forms.getunicode("host") or "").strip()
    if host:
        parts = urlsplit(host)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _json_error(400, "host must be an http:// or https:// URL, not %r" % host[:80])
        host = host.rstrip("/")
    classes = list(getattr(runner, "locust_classes", None) or ())
    # Not on a master: its slaves may have been given their own --host.
    if not host and not runner.host and not _is_master(runner):
        hostless = [cls.__name__ for cls in classes
                    if (issubclass(cls, HttpLocust) or getattr(cls, "needs_http_host", False))
                    and not getattr(cls, "host", None)]
        if hostless:
            # Otherwise every user would die at once with LocustError.
            raise _json_error(400, "%s has no host: give one in the form (or start "
                                   "locust with --host)" % ", ".join(hostless))
    saved = (runner.host, [getattr(cls, "host", None) for cls in classes])
    if host:
        # As the runner does with -H: the runner's host goes to the slaves,
        # the classes' host to the users this process starts.
        runner.host = host
        for cls in classes:
            cls.host = host
    try:
        runner.start_hatching(locust_count, hatch_rate)
    except ValueError as exc:  # e.g. users that cannot be split over the classes
        runner.host = saved[0]
        for cls, old in zip(classes, saved[1]):
            cls.host = old
        raise _json_error(400, str(exc)) from None
    return {"success": True, "message": "Swarming started"}


@app.get("/stop")
def stop():
    """Stop every user (the runner's stop())."""
    _runner().stop()
    return {"success": True, "message": "Test stopped"}


@app.get("/stats/reset")
def reset_stats():
    """Zero the statistics; answers ``ok``."""
    _runner().reset_statistics()
    bottle.response.content_type = "text/plain; charset=utf-8"
    return "ok"


@app.get("/stats/requests")
def request_stats():
    """The statistics as JSON: rows, errors, totals, state and user counts.

    ``total_rps`` is the current window's rate while a test runs and the
    run's average once it stopped (``average_rps`` always), so the header
    never shows a decaying value after a stop.
    """
    runner = _runner()
    stats = runner.stats
    rows = stats_report.request_rows(stats)
    for row in rows:
        for key, value in row.items():
            row[key] = _finite(value)
        for ours, alias in _PERCENTILE_ALIASES:
            if ours in row:
                row[alias] = row[ours]
    errors = []
    for err in sorted(stats.errors.values(), key=lambda e: -e.occurences):
        item = err.to_dict()
        item["occurrences"] = item["occurences"]
        errors.append(item)
    total = rows[-1]
    active = runner.state in ("hatching", "running")
    report = {
        "stats": rows,
        "errors": errors,
        "total_rps": total["current_rps"] if active else total["total_rps"],
        "current_rps": total["current_rps"],
        "average_rps": total["total_rps"],
        "total_fail_per_sec": total["current_fail_per_sec"],
        "current_response_time_percentiles": total["current_response_time_percentiles"],
        "fail_ratio": stats.total.fail_ratio,
        "state": runner.state,
        "user_count": runner.user_count,
        "target_user_count": (getattr(runner, "num_clients", 0) or 0) if active else 0,
        # This process's CPU and the saturation warning (locust.saturation).
        "cpu_percent": _finite(getattr(runner, "cpu_percent", None)),
        "cpu_warning": getattr(runner, "cpu_warning", None),
    }
    if _is_master(runner):
        report["slave_count"] = runner.slave_count
        report["slaves"] = [
            {"id": node.id, "state": node.state, "user_count": node.user_count,
             "last_heartbeat": _finite(getattr(node, "last_heartbeat", None)),
             "cpu_percent": _finite(getattr(node, "cpu_percent", None)),
             "memory": getattr(node, "memory", None)}
            for node in sorted(runner.clients.values(), key=lambda n: str(n.id))]
    return report


def _since():
    """The ``since`` query parameter as a number, or None; a 400 if malformed."""
    text = bottle.request.query.get("since")
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise _json_error(400, "since must be a number, not %r" % text[:40]) from None
    if not math.isfinite(value):
        raise _json_error(400, "since must be a finite number")
    return value


@app.get("/stats/history")
def stats_history():
    """The test's samples (one per ``interval`` s) as columns, after ``?since=TIME``.

    ``{"interval", "start_time", "fields": [...], "time": [...], "user_count":
    [...], "rps": [...], "fail_per_sec": [...], "p50": [...], "p95": [...],
    "p99": [...]}``; ``start_time`` changes with a new test or a reset.
    """
    runner = _runner()
    since = _since()
    history = getattr(runner, "history", None)
    from .history import SAMPLE_FIELDS
    if history is None:
        return dict({"interval": None, "start_time": None, "fields": list(SAMPLE_FIELDS)},
                    **{field: [] for field in SAMPLE_FIELDS})
    report = {"interval": history.interval, "start_time": history.start_time,
              "fields": list(SAMPLE_FIELDS)}
    report.update(history.columns(since))
    return report


@app.get("/logs")
def logs():
    """The last log lines of this process: ``{"logs": [{id, time, level, logger,
    message}]}``, after ``?since=ID``."""
    since = _since()
    return {"logs": logbuffer.install().since(int(since or 0))}


@app.get("/metrics")
def prometheus_metrics():
    """The runner's metrics in Prometheus' text format (see locust.metrics)."""
    runner = _runner()
    from . import metrics  # prometheus_client is imported only when scraped
    bottle.response.content_type = metrics.CONTENT_TYPE
    return metrics.render(runner)


@app.get("/stats/requests/csv")
def request_stats_csv():
    """The requests CSV as a download."""
    return _csv_response(stats_report.requests_csv(_runner().stats), "requests")


@app.get("/stats/distribution/csv")
def distribution_stats_csv():
    """The response time distribution CSV as a download."""
    return _csv_response(stats_report.distribution_csv(_runner().stats), "distribution")


@app.get("/stats/failures/csv")
def failures_stats_csv():
    """The failures (errors) CSV as a download."""
    return _csv_response(stats_report.failures_csv(_runner().stats), "failures")


def _exception_rows(runner):
    rows = []
    for row in (getattr(runner, "exceptions", None) or {}).values():
        nodes = row.get("nodes", ())
        rows.append({"count": row["count"], "msg": row["msg"], "traceback": row["traceback"],
                     "nodes": nodes if isinstance(nodes, str)
                     else ", ".join(sorted(str(n) for n in nodes))})
    rows.sort(key=lambda r: -r["count"])
    return rows


@app.get("/exceptions")
def exceptions():
    """The exceptions raised in users, as JSON."""
    return {"exceptions": _exception_rows(_runner())}


@app.get("/exceptions/csv")
def exceptions_csv():
    """The exceptions raised in users, as a CSV download."""
    return _csv_response(stats_report.exceptions_csv(getattr(_runner(), "exceptions", None)),
                         "exceptions")


@app.get("/static/<filepath:path>")
def static(filepath):
    """The dashboard's CSS and JavaScript."""
    return bottle.static_file(filepath, root=STATIC_DIR)


_template_cache = []


def _template():
    # Compiled once: the page is rendered on every load of the dashboard.
    if not _template_cache:
        _template_cache.append(bottle.SimpleTemplate(name="index.html", lookup=[TEMPLATE_DIR]))
    return _template_cache[0]


# ------------------------------------------------------ auth and starting

def parse_auth(value):
    """Parse ``--web-auth``: ``"user:password"`` -> (user, password).

    Raises ValueError (with a one-line message) without a colon or a user.
    """
    user, sep, password = (value or "").partition(":")
    if not sep or not user:
        raise ValueError("--web-auth must be given as user:password")
    return user, password


def _basic_auth(application, user, password):
    """WSGI middleware: HTTP Basic auth in front of every route, static ones included."""
    expected = ("%s:%s" % (user, password)).encode("utf-8")
    challenge = [("Content-Type", "text/plain; charset=utf-8"),
                 ("WWW-Authenticate", 'Basic realm="Locust", charset="UTF-8"')]

    def guarded(environ, start_response):
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        given = b""
        if scheme.lower() == "basic":
            try:
                given = base64.b64decode(token.strip(), validate=True)
            except (binascii.Error, ValueError):
                given = b""
        # compare_digest: the time taken must not tell how much matched.
        if given and hmac.compare_digest(given, expected):
            return application(environ, start_response)
        body = b"Authentication required\n"
        start_response("401 Unauthorized",
                       challenge + [("Content-Length", str(len(body)))])
        return [body]

    return guarded


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # "" (every interface) or a host name: assume reachable


def start(runner, options):
    """Serve the dashboard for ``runner``; returns the started WSGIServer.

    Reads ``options.web_host`` (default "": every interface),
    ``options.web_port`` (default 8089) and ``options.web_auth``
    ("user:password" or None) with getattr defaults.  Returns at once: the
    server runs in greenlets of the hub.  Raises ValueError for a malformed
    ``web_auth`` and OSError when the address cannot be bound.
    """
    from .engine.wsgi import WSGIServer  # the engine imports no product module

    host = getattr(options, "web_host", "") or ""
    port = getattr(options, "web_port", None)
    port = 8089 if port is None else port
    auth = getattr(options, "web_auth", None)
    application = app
    if auth:
        application = _basic_auth(app, *parse_auth(auth))
    server = WSGIServer((host, port), application,
                        environ={_RUNNER_KEY: runner} if runner is not None else None)
    server.start()
    logbuffer.install()
    shown = host if host else "*"
    if ":" in shown:
        shown = "[%s]" % shown
    logger.info("Starting web monitor at http://%s:%s", shown, server.server_port)
    if not auth and not _is_loopback(host):
        logger.warning("The web UI listens on %s without --web-auth: anyone who can reach "
                       "port %s can start and stop tests", host or "every interface",
                       server.server_port)
    return server
