"""SLO thresholds: ``p95<500ms``, ``fail_ratio<1%``, ``GET /login:p99<800``, ``rps>=200``.

A threshold is ``[NAME:]METRIC OP NUMBER[UNIT]``:

- METRIC: ``p50 p75 p90 p95 p99 p99.9 avg max`` (response times of the
  successes, in ms), ``fail_ratio`` (failures / all requests),
  ``rps`` (all requests, failures included, per second of the run) or
  ``requests`` (all requests, failures included);
- OP: ``<``, ``<=``, ``>``, ``>=``;
- UNIT: ``ms`` or ``s`` for the times (ms when absent), ``%`` for
  fail_ratio (a bare number is a ratio: ``fail_ratio<0.01`` is ``<1%``);
- NAME: a statistics entry, as ``METHOD name`` ("GET /login") or the bare
  name ("/login", every method of that name together); the total when absent.
  The name may itself hold ``:``: the last ``:`` before the metric splits.

:func:`parse` turns an expression into a :class:`Threshold` or raises
:class:`ThresholdError` (one line: the expression and what is wrong).
:meth:`Threshold.evaluate` measures it on a :class:`locust.stats.RequestStats`
(a master's merged statistics on a distributed run) and returns a
:class:`Result`. A threshold on an entry without data (no request of that
name, or no success for a time metric) fails: a typo in a name must not
pass silently.

Some thresholds can no longer pass once crossed, because their metric only
grows during a run: upper bounds on ``max`` and ``requests``; and
``fail_ratio`` upper bounds are treated so too (as k6's abortOnFail does),
which ``--threshold-abort`` uses to stop a failing run early.
"""

import math
import re

__all__ = ["ThresholdError", "Threshold", "Result", "parse", "parse_all", "evaluate_all",
           "results_table", "METRICS", "find_in_module"]

#: Response-time metrics and the percentile each stands for (None: avg, max).
_TIMES = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p99.9": 0.999,
          "avg": None, "max": None}
#: Every metric a threshold may use.
METRICS = tuple(_TIMES) + ("fail_ratio", "rps", "requests")

_OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}

_EXPR = re.compile(
    r"^(?:(?P<name>.*):)?\s*(?P<metric>[A-Za-z_][\w.]*)\s*(?P<op><=|>=|<|>|==|=|!=)?\s*"
    r"(?P<rest>.*)$", re.S)
_NUMBER = re.compile(r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>[a-z%/]*)$")


class ThresholdError(ValueError):
    """A threshold expression that cannot be used; ``str()`` is one line."""


class Result:
    """A threshold measured: ``threshold``, ``value`` (None: no data), ``passed``."""

    def __init__(self, threshold, value, passed):
        self.threshold = threshold
        self.value = value
        self.passed = passed

    @property
    def measured(self):
        """The measured value as the table shows it ("no data" without one)."""
        return self.threshold.format_value(self.value)

    def to_dict(self):
        """``{"threshold", "measured", "value", "passed"}`` (for JSON)."""
        return {"threshold": self.threshold.expression, "measured": self.measured,
                "value": self.value, "passed": self.passed}


class Threshold:
    """One parsed threshold: ``name`` (None for the total), ``metric``, ``op``,
    ``limit`` (in the metric's own unit: ms, a ratio, per second, a count)."""

    def __init__(self, expression, name, metric, op, limit):
        self.expression = expression
        self.name = name
        self.metric = metric
        self.op = op
        self.limit = limit

    def __repr__(self):
        return "Threshold(%r)" % self.expression

    @property
    def final_once_crossed(self):
        """True if, once crossed during a run, it can no longer pass."""
        return self.metric in ("max", "requests", "fail_ratio") and self.op in ("<", "<=")

    def measure(self, stats):
        """The metric's value in ``stats``, or None without data."""
        entries = _entries(stats, self.name)
        if not entries:
            return None
        successes = sum(e.num_requests for e in entries)
        failures = sum(e.num_failures for e in entries)
        if self.metric == "requests":
            return successes + failures
        if self.metric == "fail_ratio":
            total = successes + failures
            return failures / total if total else None
        if self.metric == "rps":
            total = successes + failures
            last, start = _window(stats)
            if not total or last is None or start is None:
                return None
            return total / max(last - start, 1.0)
        entry = _merged(entries)
        if not entry.num_requests:
            return None
        if self.metric == "avg":
            return entry.avg_response_time
        if self.metric == "max":
            return entry.max_response_time
        return entry.get_response_time_percentile(_TIMES[self.metric])

    def evaluate(self, stats):
        """Measure it in ``stats``: a :class:`Result`; no data fails."""
        value = self.measure(stats)
        passed = value is not None and _OPS[self.op](value, self.limit)
        return Result(self, value, passed)

    def format_value(self, value):
        """``value`` in the metric's unit, as the table shows it."""
        if value is None:
            return "no data"
        if self.metric in _TIMES:
            return "%s ms" % _short(value)
        if self.metric == "fail_ratio":
            return "%s%%" % _short(value * 100)
        if self.metric == "rps":
            return "%.2f/s" % value
        return "%d" % value


def _short(value):
    if value >= 100:
        return "%d" % int(math.floor(value + 0.5))
    return ("%.2f" % value).rstrip("0").rstrip(".") or "0"


def _window(stats):
    total = stats.total
    return total.last_request_timestamp, total.start_time


def _entries(stats, name):
    if name is None:
        return [stats.total]
    found = [e for (n, m), e in stats.entries.items()
             if m is not None and "%s %s" % (m, n) == name]
    if not found:
        found = [e for (n, _m), e in stats.entries.items() if n == name]
    return found


def _merged(entries):
    if len(entries) == 1:
        return entries[0]
    from .stats import StatsEntry  # deferred: thresholds parse without the stats machinery
    merged = StatsEntry(None, entries[0].name, None)
    merged.start_time = None
    for entry in entries:
        merged.extend(entry)
    return merged


def parse(expression):
    """Parse one expression into a :class:`Threshold`. Raises ThresholdError."""
    if not isinstance(expression, str):
        raise ThresholdError("a threshold must be a string, not %r" % (expression,))
    text = expression.strip()
    if not text:
        raise ThresholdError("empty threshold expression")
    match = _EXPR.match(text)
    problem = None
    if match is None:
        problem = "expected [NAME:]METRIC OP NUMBER, e.g. p95<500ms"
    else:
        name, metric, op, rest = (match.group("name"), match.group("metric"),
                                  match.group("op"), match.group("rest").strip())
        if name is not None:
            name = name.strip()
            if not name:
                problem = "the request name before ':' is empty"
        if problem is None and metric not in METRICS:
            problem = "unknown metric %r (use one of %s)" % (metric, " ".join(METRICS))
        if problem is None and op not in _OPS:
            problem = ("missing comparison (use < <= > >=)" if op is None else
                       "unknown comparison %r (use < <= > >=)" % op)
        if problem is None:
            limit, problem = _limit(metric, rest)
    if problem:
        raise ThresholdError("bad threshold %r: %s" % (expression, problem))
    return Threshold(text, name, metric, op, limit)


def _limit(metric, text):
    """(limit in the metric's unit, None) or (None, what is wrong)."""
    match = _NUMBER.match(text)
    if not match:
        return None, "expected a number after the comparison, not %r" % text if text else \
            "missing number after the comparison"
    number, unit = float(match.group("number")), match.group("unit")
    if not math.isfinite(number):
        return None, "the number must be finite"
    if metric in _TIMES:
        factors = {"": 1.0, "ms": 1.0, "s": 1000.0}
        if unit not in factors:
            return None, "unit %r is not a time unit (ms or s)" % unit
        number *= factors[unit]
    elif metric == "fail_ratio":
        if unit not in ("", "%"):
            return None, "fail_ratio takes a ratio (0.01) or a percentage (1%%), not %r" % unit
        if unit == "%":
            number /= 100.0
        if not 0 <= number <= 1:
            return None, "fail_ratio is between 0 and 1 (0%% and 100%%)"
    elif unit not in ("", "/s") or (unit == "/s" and metric != "rps"):
        return None, "%s takes a plain number, not %r" % (metric, unit)
    if number < 0:
        return None, "the number must not be negative"
    return number, None


def parse_all(expressions):
    """Parse each expression, dropping exact repeats; raises the first ThresholdError."""
    seen = {}
    for expression in expressions:
        threshold = parse(expression)
        seen.setdefault(threshold.expression, threshold)
    return list(seen.values())


def evaluate_all(thresholds, stats):
    """A :class:`Result` per threshold, in order."""
    return [t.evaluate(stats) for t in thresholds]


def results_table(results):
    """The summary's thresholds table (expression, measured, pass/FAIL); "" if none."""
    if not results:
        return ""
    width = max(40, max(len(r.threshold.expression) for r in results) + 2)
    row = " %-" + str(width) + "s %16s  %s"
    lines = ["Thresholds", row % ("Threshold", "Measured", "Result"), "-" * (width + 28)]
    for result in results:
        lines.append(row % (result.threshold.expression, result.measured,
                            "pass" if result.passed else "FAIL"))
    failed = sum(not r.passed for r in results)
    lines.append("-" * (width + 28))
    lines.append(" %d of %d thresholds crossed" % (failed, len(results)) if failed
                 else " all %d thresholds met" % len(results))
    return "\n".join(lines + [""])


def find_in_module(module):
    """The threshold expressions a locustfile declares: its module-level
    ``thresholds`` list, then the ``thresholds`` of each of its shape
    classes (subclasses of a class named LoadTestShape). Raises
    ThresholdError if one is not a list of strings."""
    found = []
    sources = [("the locustfile's thresholds", getattr(module, "thresholds", None))]
    for name, value in vars(module).items():
        if isinstance(value, type) and any(
                base.__name__ == "LoadTestShape" for base in value.__mro__[1:]):
            sources.append(("%s.thresholds" % name, getattr(value, "thresholds", None)))
    for where, value in sources:
        if value is None:
            continue
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ThresholdError("%s must be a list of strings, not %r" % (where, value))
        found.extend(value)
    return found
