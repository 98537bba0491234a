"""Reports in Locust 2.x's formats: ``PREFIX_stats.csv``, ``PREFIX_stats_history.csv``, ``--json``.

They are written beside the 0.7 reports of :mod:`locust.stats_report`, so
tooling made for either keeps working. In these formats, as in Locust 2.x,
a request count ("Request Count", ``num_requests``) includes the failures
(0.7's "# requests" counts the successes only), and the total row is
named "Aggregated". Response times are ms, percentiles from the same
histogram as every other report (within 1%).

- :func:`stats_csv`: the per-entry table (Type, Name, Request Count, Failure
  Count, Median/Average/Min/Max Response Time, Average Content Size,
  Requests/s, Failures/s, then 50% .. 99.99%, 100%), rewritten every 2 s.
- :class:`HistoryWriter`: ``PREFIX_stats_history.csv``, a row of the total
  every 2 s (a row per entry too with ``--csv-full-history``).
- :func:`stats_json`: the final statistics as a JSON list of entries (Locust
  2.x's ``--json``: the wire fields of each entry), plus the derived values
  a reader would otherwise recompute: average, median, percentiles, rates.
"""

import csv
import io
import json
import time

from .stats import bucket_value, round_half_up

__all__ = ["PERCENTILES", "stats_csv", "write_stats_csv", "HistoryWriter", "stats_json",
           "json_text", "write_json_file", "json_file_name"]

#: The percentile columns of Locust 2.x's CSV files.
PERCENTILES = (0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0)
_TOTAL_NAME = "Aggregated"


def _readable(p):
    text = "%.6f" % (p * 100)
    return text.rstrip("0").rstrip(".") + "%"


def _sorted_entries(stats):
    keys = sorted(stats.entries, key=lambda k: (str(k[0]), str(k[1])))
    return [stats.entries[k] for k in keys]


def _seconds(stats):
    total = stats.total
    if total.last_request_timestamp is None or total.start_time is None:
        return None
    return max(total.last_request_timestamp - total.start_time, 1.0)


def _percentile_cells(entry):
    if not entry.num_requests:
        return ["N/A"] * len(PERCENTILES)
    return [round_half_up(v) for v in entry.percentiles(PERCENTILES)]


def _number(value):
    return round(value, 2) if isinstance(value, float) else value


def _entry_cells(entry, seconds):
    requests = entry.num_requests + entry.num_failures
    return [
        requests, entry.num_failures, round_half_up(entry.median_response_time),
        _number(entry.avg_response_time), _number(entry.min_response_time or 0),
        _number(entry.max_response_time), _number(entry.avg_content_length),
        round(requests / seconds, 2) if seconds else 0.0,
        round(entry.num_failures / seconds, 2) if seconds else 0.0,
    ]


def _writer(out):
    return csv.writer(out, lineterminator="\n")


STATS_HEADER = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
                "Average Response Time", "Min Response Time", "Max Response Time",
                "Average Content Size", "Requests/s", "Failures/s"] + [_readable(p) for p in PERCENTILES]


def stats_csv(stats):
    """PREFIX_stats.csv's text: a row per entry (by name, method), then "Aggregated"."""
    out = io.StringIO()
    writer = _writer(out)
    writer.writerow(STATS_HEADER)
    seconds = _seconds(stats)
    for entry in _sorted_entries(stats):
        writer.writerow([entry.method or "", entry.name] + _entry_cells(entry, seconds)
                        + _percentile_cells(entry))
    writer.writerow(["", _TOTAL_NAME] + _entry_cells(stats.total, seconds)
                    + _percentile_cells(stats.total))
    return out.getvalue()


def write_stats_csv(stats, prefix):
    """Write PREFIX_stats.csv; returns its path. Raises OSError."""
    path = "%s_stats.csv" % prefix
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(stats_csv(stats))
    return path


def _current_fail_per_sec(entry):
    # current_rps's window (seconds t-12 .. t-3 of the last request), for failures.
    last, start = entry._clock_window()
    if last is None:
        return 0.0
    t = int(last)
    seconds = range(max(t - 12, int(start)), t - 2)
    if not seconds:
        return 0.0
    return sum(entry.num_fail_per_sec.get(s, 0) for s in seconds) / len(seconds)


class HistoryWriter:
    """PREFIX_stats_history.csv: a header, then rows appended by :meth:`write`.

    Each call writes the total's row; with ``full_history`` a row for every
    entry first. Requests/s and Failures/s are the current rates (the
    dashboard's window); the rest is cumulative. ``clock`` gives the
    Timestamp (Unix seconds). Raises OSError when the file cannot be made.
    """

    HEADER = (["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"]
              + [_readable(p) for p in PERCENTILES]
              + ["Total Request Count", "Total Failure Count", "Total Median Response Time",
                 "Total Average Response Time", "Total Min Response Time",
                 "Total Max Response Time", "Total Average Content Size"])

    def __init__(self, prefix, full_history=False, clock=time.time):
        self.path = "%s_stats_history.csv" % prefix
        self.full_history = full_history
        self.clock = clock
        # Open for the whole run (rows are appended every 2 s); close() ends it.
        self._file = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = _writer(self._file)
        self._writer.writerow(self.HEADER)
        self._file.flush()

    def write(self, stats, user_count):
        """Append this moment's rows and flush. Raises OSError."""
        now = int(self.clock())
        entries = _sorted_entries(stats) if self.full_history else []
        for entry in entries + [stats.total]:
            is_total = entry is stats.total
            self._writer.writerow(
                [now, user_count, "" if is_total else (entry.method or ""),
                 _TOTAL_NAME if is_total else entry.name,
                 "%f" % (entry.current_rps + _current_fail_per_sec(entry)),
                 "%f" % _current_fail_per_sec(entry)]
                + _percentile_cells(entry)
                + [entry.num_requests + entry.num_failures, entry.num_failures,
                   round_half_up(entry.median_response_time), _number(entry.avg_response_time),
                   _number(entry.min_response_time or 0), _number(entry.max_response_time),
                   _number(entry.avg_content_length)])
        self._file.flush()

    def close(self):
        """Close the file (idempotent)."""
        if not self._file.closed:
            self._file.close()


def _entry_json(entry, seconds):
    requests = entry.num_requests + entry.num_failures
    per_second = dict(entry.num_reqs_per_sec)
    for second, count in entry.num_fail_per_sec.items():
        per_second[second] = per_second.get(second, 0) + count
    times = {}
    for key, count in entry.response_times.items():
        value = bucket_value(key)
        times[value] = times.get(value, 0) + count
    return {
        # Locust 2.x's fields (num_requests counts the failures too, as there).
        "name": entry.name, "method": entry.method or "",
        "last_request_timestamp": entry.last_request_timestamp, "start_time": entry.start_time,
        "num_requests": requests, "num_none_requests": 0, "num_failures": entry.num_failures,
        "total_response_time": entry.total_response_time,
        "max_response_time": entry.max_response_time,
        "min_response_time": entry.min_response_time,
        "total_content_length": entry.total_content_length,
        "response_times": {("%g" % k): v for k, v in sorted(times.items())},
        "num_reqs_per_sec": {str(k): v for k, v in sorted(per_second.items())},
        "num_fail_per_sec": {str(k): v for k, v in sorted(entry.num_fail_per_sec.items())},
        # Derived, so a reader need not recompute them.
        "num_successes": entry.num_requests,
        "fail_ratio": entry.fail_ratio,
        "avg_response_time": entry.avg_response_time,
        "median_response_time": entry.median_response_time,
        "response_time_percentiles": {
            _readable(p): v for p, v in zip(PERCENTILES, entry.percentiles(PERCENTILES))}
        if entry.num_requests else {},
        "avg_content_length": entry.avg_content_length,
        "total_rps": requests / seconds if seconds else 0.0,
        "total_fail_per_sec": entry.num_failures / seconds if seconds else 0.0,
    }


def stats_json(stats):
    """The final statistics as Locust 2.x's ``--json`` list: one dict per entry
    with requests (the total is not in the list: sum the entries)."""
    seconds = _seconds(stats)
    return [_entry_json(e, seconds) for e in _sorted_entries(stats)
            if e.num_requests or e.num_failures]


def json_text(stats):
    """:func:`stats_json` as indented JSON text."""
    return json.dumps(stats_json(stats), indent=4)


def json_file_name(name):
    """The file --json-file NAME writes: NAME, with ".json" added when missing
    (Locust 2.x always adds it)."""
    return name if name.endswith(".json") else name + ".json"


def write_json_file(stats, name):
    """Write the JSON report to :func:`json_file_name` (name); returns the path.
    Raises OSError."""
    path = json_file_name(name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json_text(stats) + "\n")
    return path
