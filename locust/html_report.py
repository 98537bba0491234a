"""The HTML report: one self-contained page of a run (``--html FILE``, ``GET /stats/report``).

Everything the page needs is inside it: its styles, uPlot, the dashboard's
own chart code (``static/charts.js`` and ``static/charts.css``, which need
nothing but uPlot and the samples) and the data. It loads nothing from a
network or a server, so it can be mailed, kept as a CI artifact and opened
years later.

It shows:

- the run: locustfile, host, classes, users, spawn rate, limits, start, end,
  why it stopped, local or distributed, the command line and the options
  taken from configuration files or ``LOCUST_*`` variables (values of
  options that look secret, such as ``--web-auth``, are masked);
- the generator-saturation warning (``runner.cpu_warning``), when there was one;
- the thresholds table (:mod:`locust.thresholds`), when thresholds were given;
- the requests table and the percentile table: the numbers of
  ``PREFIX_stats.csv`` (:mod:`locust.reports`): "# Requests" counts every
  request (failures too, what the target received), times are those of the
  successes, rates divide by the seconds from the start of the statistics
  to the last request; the 0.7 CSV files agree (their "# requests" plus
  "# failures" is this "# Requests");
- charts of requests and failures per second, response times (p50, p95,
  p99 of each 2 s interval, failed requests included, not cumulative) and
  users, from the server-side history (``runner.history``,
  :mod:`locust.history`);
- the failures, the exceptions and, on a master, the slaves.

The same data is embedded as JSON (``<script type="application/json"
id="locust-report-data">``, :func:`report_data`) for tools and tests.

Its cost: a run of 5 names and 5 minutes is an 86 KB page made in 2 ms;
200 names and a full 24 h history (43,200 samples) 2.3 MB in ~0.2 s
(measured in one process, 2-core machine). It is made once at the end, or
when the dashboard's route is asked for it.

What the runner does not know (the options, the thresholds, when the test
started and stopped) comes from a :class:`RunRecord`, which the command
line attaches to its runner (:func:`record_for` finds it again, for the
dashboard's route).
"""

import json
import logging
import math
import os
import re
import shlex
import sys
import time
import weakref

from . import events
from ._version import __version__
from .reports import PERCENTILES, run_seconds
from .stats_report import format_ms

__all__ = ["RunRecord", "record_for", "report_data", "render", "write", "PERCENTILES"]

logger = logging.getLogger(__name__)

_HERE = os.path.dirname(os.path.abspath(__file__))
_TEMPLATE_DIR = os.path.join(_HERE, "templates")
_STATIC_DIR = os.path.join(_HERE, "static")
#: Inlined in this order: uPlot's CSS, the charts' CSS; uPlot, the charts' code.
_STYLES = ("uPlot.min.css", "charts.css")
_SCRIPTS = ("uPlot.iife.min.js", "charts.js")

#: Options whose values the report never shows (matched on the option's name).
_SECRET = re.compile(r"auth|passw|secret|token|api[-_]?key|credential", re.I)
_MASK = "********"

_records = weakref.WeakKeyDictionary()


# ------------------------------------------------------------------ the record

class RunRecord:
    """What the report shows beyond the runner: the options, the parsed
    thresholds and when the current test started and stopped.

    :meth:`attach` listens to the runner's ``locust_start_hatching`` and
    ``locust_stop_hatching`` events and makes the record findable with
    :func:`record_for`; :meth:`detach` stops listening. ``clock`` is
    time.time or a stand-in.
    """

    def __init__(self, runner, options=None, checks=(), clock=time.time):
        self.runner = runner
        self.options = options if options is not None else getattr(runner, "options", None)
        self.checks = list(checks)
        self.clock = clock
        #: When the current test started / stopped (Unix seconds), or None.
        self.started = None
        self.stopped = None
        #: A master's slaves when the test stopped (they are gone once it quits).
        self.slaves_at_stop = None
        self._listening = False

    def _on_start(self, **_kwargs):
        self.started, self.stopped = self.clock(), None
        self.slaves_at_stop = None

    def _on_stop(self, **_kwargs):
        self.stopped = self.clock()
        self.slaves_at_stop = _slave_rows(self.runner)

    def attach(self):
        """Listen to the test's start and stop, and register; returns self."""
        _records[self.runner] = self
        if not self._listening:
            self._listening = True
            events.locust_start_hatching += self._on_start
            events.locust_stop_hatching += self._on_stop
        return self

    def detach(self):
        """Stop listening (the record stays findable while its runner lives)."""
        if self._listening:
            self._listening = False
            events.locust_start_hatching -= self._on_start
            events.locust_stop_hatching -= self._on_stop


def record_for(runner):
    """The record attached to ``runner``, else a new one from ``runner.options``
    (without the locustfile's thresholds, which only the command line parsed)."""
    found = _records.get(runner)
    if found is not None:
        return found
    record = RunRecord(runner)
    expressions = getattr(record.options, "thresholds", None) or ()
    if expressions:
        from . import thresholds
        try:
            record.checks = thresholds.parse_all(expressions)
        except thresholds.ThresholdError:
            record.checks = []
    return record


# --------------------------------------------------------------------- the data

def _entry_row(entry, seconds):
    requests = entry.num_requests + entry.num_failures
    return {
        "method": entry.method or "", "name": entry.name,
        "num_requests": requests, "num_failures": entry.num_failures,
        "num_successes": entry.num_requests,
        "median_response_time": entry.median_response_time if entry.num_requests else None,
        "avg_response_time": entry.avg_response_time if entry.num_requests else None,
        "min_response_time": entry.min_response_time,
        "max_response_time": entry.max_response_time if entry.num_requests else None,
        "avg_content_length": entry.avg_content_length,
        "total_rps": requests / seconds if seconds else 0.0,
        "total_fail_per_sec": entry.num_failures / seconds if seconds else 0.0,
        "percentiles": entry.percentiles(PERCENTILES) if entry.num_requests
        else [None] * len(PERCENTILES),
    }


def _request_rows(stats):
    seconds = run_seconds(stats)
    keys = sorted(stats.entries, key=lambda k: (str(k[0]), str(k[1])))
    rows = [_entry_row(stats.entries[k], seconds) for k in keys]
    total = _entry_row(stats.total, seconds)
    total["name"] = "Aggregated"
    return rows, total


def _failure_rows(stats):
    errors = sorted(stats.errors.values(), key=lambda e: -e.occurences)
    return [{"method": e.method or "", "name": e.name, "error": e.error,
             "occurrences": e.occurences} for e in errors]


def _exception_rows(runner):
    rows = []
    for row in (getattr(runner, "exceptions", None) or {}).values():
        nodes = row.get("nodes", ())
        rows.append({"count": row["count"], "msg": row["msg"], "traceback": row["traceback"],
                     "nodes": nodes if isinstance(nodes, str)
                     else ", ".join(sorted(str(n) for n in nodes))})
    rows.sort(key=lambda r: -r["count"])
    return rows


def _slave_rows(runner):
    clients = getattr(runner, "clients", None)
    if not hasattr(runner, "slave_count") or clients is None:
        return None
    return [{"id": str(node.id), "state": getattr(node, "state", None),
             "user_count": getattr(node, "user_count", None),
             "cpu_percent": getattr(node, "cpu_percent", None)}
            for node in sorted(clients.values(), key=lambda n: str(n.id))]


def _host(runner):
    host = getattr(runner, "host", None)
    if host:
        return host
    for cls in getattr(runner, "locust_classes", None) or ():
        if getattr(cls, "host", None):
            return cls.host
    return None


def _mask_argv(argv):
    """The command line's words with the values of secret-looking options masked."""
    shown, mask_next = [], False
    for word in argv:
        if mask_next:
            shown.append(_MASK)
            mask_next = False
        elif word.startswith("--") and _SECRET.search(word.split("=", 1)[0]):
            if "=" in word:
                shown.append(word.split("=", 1)[0] + "=" + _MASK)
            else:
                shown.append(word)
                mask_next = True
        else:
            shown.append(word)
    return shown


def _command_line(argv=None):
    argv = list(sys.argv if argv is None else argv)
    return " ".join(word if word == _MASK or word.endswith("=" + _MASK) else shlex.quote(word)
                    for word in ["locust"] + _mask_argv(argv[1:]))


def _option_names():
    """dest -> the option's long name (without --), from the command's parser."""
    try:
        from .argument_parser import create_parser
        actions = create_parser()._actions
    except Exception:  # the names only decorate the report: never fail it for them
        return {}
    names = {}
    for action in actions:
        longs = [s[2:] for s in action.option_strings if s.startswith("--")]
        if longs:
            names.setdefault(action.dest, longs[0])
    return names


def _configured(options):
    """The options set by configuration files or variables: [{option, value, source}]."""
    sources = getattr(options, "_sources", None) or {}
    found = [(dest, source) for dest, source in sources.items() if source != "command line"]
    if not found:
        return []
    names = _option_names()
    rows = []
    for dest, source in sorted(found):
        name = names.get(dest, dest.replace("_", "-"))
        value = getattr(options, dest, None)
        if _SECRET.search(name) or _SECRET.search(dest):
            value = _MASK
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        rows.append({"option": name, "value": str(value), "source": source})
    return rows


def _run_info(runner, record, now):
    options = record.options
    stats = runner.stats
    history = getattr(runner, "history", None)
    start = record.started
    if start is None and history is not None:
        start = history.start_time
    state = getattr(runner, "state", None)
    end = record.stopped if state == "stopped" else None
    if state == "stopped" and end is None:
        end = stats.total.last_request_timestamp
    stats_start = stats.total.start_time
    locustfile = getattr(options, "locustfile_path", None) or getattr(options, "locustfile", None)
    users = history.columns()["user_count"] if history is not None else []
    slaves = _slave_rows(runner)
    if not slaves and record.slaves_at_stop:
        slaves = record.slaves_at_stop
    return {
        "locustfile": locustfile,
        "host": _host(runner),
        "classes": [cls.__name__ for cls in getattr(runner, "locust_classes", None) or ()],
        "users": getattr(runner, "num_clients", None),
        "peak_users": max(users) if users else None,
        "spawn_rate": getattr(runner, "hatch_rate", None),
        "run_time": getattr(options, "run_time", None),
        "num_requests_limit": getattr(options, "num_requests", None),
        "reset_stats": bool(getattr(options, "reset_stats", False)),
        "state": state,
        "start_time": start,
        "end_time": end,
        "duration": (end if end is not None else now) - start if start is not None else None,
        # After a reset (the dashboard's button, --reset-stats) the numbers start later.
        "stats_start_time": stats_start if start is None or stats_start > start + 1 else None,
        "stop_reason": getattr(runner, "stop_reason", None),
        "distributed": slaves is not None,
        "slaves": slaves,
        "processes": getattr(options, "processes", None),
        "command_line": _command_line(),
        "configuration": _configured(options),
    }


def report_data(runner, record=None, results=None, now=None):
    """Everything the page shows, JSON-ready.

    ``record`` defaults to :func:`record_for` (runner); ``results`` to its
    thresholds evaluated now; ``now`` (Unix seconds) is the report's time.
    Keys: ``version``, ``generated_at``, ``run`` (see :func:`_run_info`),
    ``cpu_warning``, ``requests`` (a dict per entry: ``method``, ``name``,
    ``num_requests`` (failures included), ``num_failures``, ``num_successes``,
    ``median_response_time``, ``avg_response_time``, ``min_response_time``,
    ``max_response_time`` (ms, of the successes; None without any),
    ``avg_content_length``, ``total_rps``, ``total_fail_per_sec``,
    ``percentiles`` (ms at each of ``percentile_names``)), ``total`` (the
    same for "Aggregated"), ``percentile_names``, ``failures``,
    ``exceptions``, ``thresholds`` (:meth:`Result.to_dict
    <locust.thresholds.Result.to_dict>` each), ``history`` (the columns of
    :meth:`StatsHistory.columns <locust.history.StatsHistory.columns>`
    and ``interval``).
    """
    record = record or record_for(runner)
    now = time.time() if now is None else now
    stats = runner.stats
    if results is None:
        results = [check.evaluate(stats) for check in record.checks]
    rows, total = _request_rows(stats)
    history = getattr(runner, "history", None)
    if history is not None:
        columns = history.columns()
        columns["interval"] = history.interval
    else:
        from .history import SAMPLE_FIELDS
        columns = dict({f: [] for f in SAMPLE_FIELDS}, interval=None)
    return {
        "version": __version__,
        "generated_at": now,
        "run": _run_info(runner, record, now),
        "cpu_warning": getattr(runner, "cpu_warning", None),
        "percentile_names": ["%s%%" % _percent(p) for p in PERCENTILES],
        "requests": rows,
        "total": total,
        "failures": _failure_rows(stats),
        "exceptions": _exception_rows(runner),
        "thresholds": [r.to_dict() for r in results],
        "history": columns,
    }


# ------------------------------------------------------------------ rendering

def _percent(p):
    return ("%.6f" % (p * 100)).rstrip("0").rstrip(".")


def _ms(value):
    return "" if value is None else format_ms(value)


def _rate(value):
    return "%.2f" % (value or 0.0)


def _when(seconds):
    if seconds is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(seconds))


def _span(seconds):
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return "%dh %02dm %02ds" % (hours, minutes, secs)
    return "%dm %02ds" % (minutes, secs) if minutes else "%ds" % secs


def _inline(name, closing):
    with open(os.path.join(_STATIC_DIR, name), encoding="utf-8") as f:
        text = f.read()
    # The text must not end its own element early.
    return re.sub(r"</(%s)" % closing, r"<\\/\1", text, flags=re.I)


def _json_for_script(data):
    # Inside <script>, "</script>" or "<!--" in a request name would end or
    # confuse the element: escape <, > and & as JSON allows.
    text = json.dumps(data, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_template_cache = []


def _template():
    if not _template_cache:
        import bottle  # the dashboard's template engine; imported when a report is made
        _template_cache.append(bottle.SimpleTemplate(name="report.html", lookup=[_TEMPLATE_DIR]))
    return _template_cache[0]


def _clean(value):
    # JSON has no NaN or infinity (browsers' JSON.parse refuses them).
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def render(runner, record=None, results=None, now=None):
    """The report page (str) of ``runner``'s current statistics and history;
    arguments as :func:`report_data`."""
    data = _clean(report_data(runner, record, results, now))
    return _template().render(
        data=data, data_json=_json_for_script(data),
        styles=[_inline(name, "style") for name in _STYLES],
        scripts=[_inline(name, "script") for name in _SCRIPTS],
        ms=_ms, rate=_rate, when=_when, span=_span)


def write(runner, path, record=None, results=None):
    """Write :func:`render` to ``path`` (through a temporary file beside it,
    so a reader never sees half a report); returns the path. Raises OSError."""
    text = render(runner, record, results)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    except OSError:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path
