"""Reports of request statistics: the CSV files and the console tables.

The CSV headers and row formats are Locust 0.7's (the web UI serves the
same text); times are rounded half up to whole ms wherever a report prints
an int.
"""

import csv
import io
import sys

from .stats import PERCENTILES_TO_REPORT, global_stats, round_half_up

__all__ = [
    "requests_csv", "distribution_csv", "failures_csv", "exceptions_csv",
    "write_csv_files", "stats_table", "percentile_table", "error_report",
    "print_stats", "print_percentile_stats", "print_error_report", "request_rows",
    "CURRENT_PERCENTILES",
]

#: Width of the Name column of the console tables.
STATS_NAME_WIDTH = 60
_CSV_PERCENTILES = (0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99)
# Times are rounded half up to whole ms wherever a report prints an int.

def _label(entry):
    return "%s %s" % (entry.method, entry.name) if entry.method is not None else str(entry.name)


def _rows(stats):
    """The entries sorted by (name, method), then the Total."""
    keys = sorted(stats.entries, key=lambda k: (str(k[0]), str(k[1])))
    return [stats.entries[k] for k in keys] + [stats.total]


def _q(value):
    return '"%s"' % str(value).replace('"', '""')


def _csv(header, rows, **options):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", **options)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def requests_csv(stats):
    """The requests CSV (Locust 0.7's header and row format), Total last.

    Requests/s is total_rps. The Total row's Method is "" (0.7 printed
    "None", which a spreadsheet would take for a method).
    """
    rows = ['"Method","Name","# requests","# failures","Median response time",'
            '"Average response time","Min response time","Max response time",'
            '"Average Content Size","Requests/s"']
    for e in _rows(stats):
        rows.append("%s,%s,%i,%i,%i,%i,%i,%i,%i,%.2f" % (
            _q("" if e.method is None else e.method), _q(e.name), e.num_requests,
            e.num_failures, round_half_up(e.median_response_time),
            round_half_up(e.avg_response_time), round_half_up(e.min_response_time or 0),
            round_half_up(e.max_response_time), round_half_up(e.avg_content_length),
            e.total_rps))
    return "\n".join(rows)


def distribution_csv(stats):
    """The distribution CSV: "METHOD name", N, 50%..99%, 100% (the max);
    "N/A" percentiles for an entry without successes; "Total" last."""
    rows = ['"Name","# requests","50%","66%","75%","80%","90%","95%","98%","99%","100%"']
    for e in _rows(stats):
        if e.num_requests:
            cells = ["%i" % round_half_up(v) for v in e.percentiles(_CSV_PERCENTILES + (1.0,))]
        else:
            cells = ['"N/A"'] * (len(_CSV_PERCENTILES) + 1)
        rows.append(",".join([_q(_label(e)), "%i" % e.num_requests] + cells))
    return "\n".join(rows)


def failures_csv(stats):
    """The errors as CSV: Method, Name, Error, Occurrences; most frequent first."""
    errors = sorted(stats.errors.values(), key=lambda e: -e.occurences)
    return _csv(["Method", "Name", "Error", "Occurrences"],
                [[e.method or "", e.name, e.error, e.occurences] for e in errors],
                quoting=csv.QUOTE_NONNUMERIC)


def exceptions_csv(exceptions):
    """The runner's exceptions ({key: {count, msg, traceback, nodes}}) as CSV:
    Count, Message, Traceback, Nodes (sorted, joined with ", ")."""
    rows = []
    for exc in (exceptions or {}).values():
        nodes = exc.get("nodes", ())
        nodes = nodes if isinstance(nodes, str) else ", ".join(sorted(map(str, nodes)))
        rows.append([exc["count"], exc["msg"], exc["traceback"], nodes])
    return _csv(["Count", "Message", "Traceback", "Nodes"], rows)


def write_csv_files(stats, prefix, exceptions=None):
    """Write PREFIX_{requests,distribution,failures,exceptions}.csv.

    Returns the paths written; raises OSError if a file can't be written.
    """
    paths = []
    for suffix, text in (("requests", requests_csv(stats)),
                         ("distribution", distribution_csv(stats)),
                         ("failures", failures_csv(stats)),
                         ("exceptions", exceptions_csv(exceptions))):
        paths.append("%s_%s.csv" % (prefix, suffix))
        with open(paths[-1], "w", newline="", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")
    return paths


def _ms(value):
    """A time for the console tables: whole ms from 10 ms up (rounded half
    up), two decimals below, trailing zeros dropped.

    Against a fast target most responses take well under a millisecond; an
    integer column would print them all as 0 or 1 and hide what the
    histogram measured to 0.1 ms.
    """
    if value is None:
        return "0"
    if value >= 10:
        return "%d" % round_half_up(value)
    text = "%.2f" % value
    return text.rstrip("0").rstrip(".") or "0"


_ROW = " %-" + str(STATS_NAME_WIDTH) + "s %7s %12s %7s %7s %7s  | %7s %7s"
_PROW = " %-" + str(STATS_NAME_WIDTH) + "s %8s" + " %6s" * len(PERCENTILES_TO_REPORT)
_RULE = "-" * (STATS_NAME_WIDTH + 80)


def stats_table(stats):
    """The console table: a row per entry, a rule, the Total row.

    Times are in ms, whole from 10 ms up, with two decimals below.

    Failures show as ``F(P%)``, P = failures / (successes + failures).
    """
    lines = [_ROW % ("Name", "# reqs", "# fails", "Avg", "Min", "Max", "Median", "req/s"), _RULE]
    for e in _rows(stats):
        if e is stats.total:
            lines.append(_RULE)
        lines.append(_ROW % (
            _label(e), e.num_requests, "%d(%.2f%%)" % (e.num_failures, e.fail_ratio * 100),
            _ms(e.avg_response_time), _ms(e.min_response_time),
            _ms(e.max_response_time), _ms(e.median_response_time),
            "%.2f" % e.current_rps))
    return "\n".join(lines + [""])


def percentile_table(stats):
    """The "Percentage of the requests completed within given times" table
    (50% .. 99.9%, 100%) of the entries with successes, then the Total."""
    titles = tuple("%g%%" % (p * 100) for p in PERCENTILES_TO_REPORT)
    lines = ["Percentage of the requests completed within given times",
             _PROW % (("Name", "# reqs") + titles), _RULE]
    for e in _rows(stats):
        if e is stats.total:
            lines.append(_RULE)
        if e.num_requests:
            lines.append(_PROW % ((_label(e), e.num_requests) +
                                  tuple(_ms(v) for v in e.percentiles())))
    return "\n".join(lines + [""])


def error_report(stats):
    """The "Error report" table, most frequent first; "" without errors."""
    if not stats.errors:
        return ""
    lines = ["Error report", " %-18s %-100s" % ("# occurences", "Error"), _RULE]
    for err in sorted(stats.errors.values(), key=lambda e: -e.occurences):
        lines.append(" %-18i %-100s" % (err.occurences, err.to_name()))
    return "\n".join(lines + [_RULE, ""])


def print_stats(stats=None, file=None):
    """Print :func:`stats_table` (of global_stats by default) to stdout."""
    print(stats_table(stats or global_stats), file=file or sys.stdout)


def print_percentile_stats(stats=None, file=None):
    """Print :func:`percentile_table` (of global_stats by default) to stdout."""
    print(percentile_table(stats or global_stats), file=file or sys.stdout)


def print_error_report(stats=None, file=None):
    """Print :func:`error_report` (of global_stats by default), when not empty."""
    report = error_report(stats or global_stats)
    if report:
        print(report, file=file or sys.stdout)


#: The current window's percentiles in /stats/requests (Locust 2.x's keys).
CURRENT_PERCENTILES = (0.5, 0.95, 0.99)


def request_rows(stats):
    """The "stats" rows of the web UI's /stats/requests JSON, Total last.

    Counts keep Locust 0.7's meaning: ``num_requests`` successes,
    ``num_failures`` failures. Response times cover every request, failed
    ones included (a failure's time is real; an endpoint that always fails
    still shows its times): avg_response_time, min_response_time (0 when
    none), max_response_time, median_response_time, p90_response_time,
    p95_response_time, p99_response_time. avg_content_length is of the
    successes. The current window (the last complete seconds, see
    :meth:`locust.stats.StatsEntry.current`), as Locust 2.x names it:
    ``current_rps`` (every request per second), ``current_fail_per_sec``
    and ``current_response_time_percentiles`` (``{"response_time_percentile_0.5":
    ms or None, ...0.95, ...0.99}``). ``total_rps`` is the run's average
    of every request per second.
    """
    rows = []
    for e in _rows(stats):
        p90, p95, p99 = e.all_percentiles((0.9, 0.95, 0.99))
        current = e.current(CURRENT_PERCENTILES)
        rows.append({
            "method": e.method, "name": e.name, "num_requests": e.num_requests,
            "num_failures": e.num_failures, "avg_response_time": e.all_avg_response_time,
            "min_response_time": e.all_min_response_time or 0,
            "max_response_time": e.all_max_response_time,
            "median_response_time": e.all_median_response_time,
            "avg_content_length": e.avg_content_length,
            "p90_response_time": p90, "p95_response_time": p95, "p99_response_time": p99,
            "current_rps": current["rps"], "current_fail_per_sec": current["fail_per_sec"],
            "current_response_time_percentiles": {
                "response_time_percentile_%g" % p: v for p, v in current["percentiles"].items()},
            "total_rps": e.total_all_rps,
        })
    return rows
