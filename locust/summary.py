"""What a run reports while it runs and when it ends, and its exit status.

:class:`RunReport` serves the command line of a local or master run:

- every :data:`INTERVAL` seconds (one greenlet): the console table, the CSV
  files (0.7's and Locust 2.x's), a row of ``PREFIX_stats_history.csv``,
  and with ``--threshold-abort`` a check of the thresholds that can no
  longer pass once crossed (the run stops at the first one crossed);
- at the end (:meth:`RunReport.finish`): the summary tables, the error
  report, the thresholds table, the saturation warning, the last CSV files,
  ``--json`` / ``--json-file``; it returns the exit status
  (:func:`exit_code`).

With ``--json`` standard output carries the JSON alone: the tables go to
standard error.
"""

import logging
import sys

from . import events, reports, stats_report, thresholds
from .engine import sleep, spawn
from .runners import STATE_INIT

__all__ = ["INTERVAL", "RunReport", "exit_code", "EXIT_OK", "EXIT_USAGE", "EXIT_THRESHOLD"]

logger = logging.getLogger("locust.main")

#: Seconds between two periodic tables, CSV writes and threshold checks.
INTERVAL = 2.0
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_THRESHOLD = 3


def exit_code(runner, results, error_code=1, requests_seen=False):
    """The exit status of a finished run.

    3 if a threshold failed; else ``error_code`` (``--exit-code-on-error``,
    default 1) if a request failed, a user raised an exception, or users
    were started but not one request was made (in the statistics, or ever
    when ``requests_seen``: a reset of the statistics does not count as
    "no request"); else 0.
    """
    return _decide(runner, results, error_code, requests_seen)[0]


def _decide(runner, results, error_code, requests_seen):
    stats = runner.stats
    if any(not r.passed for r in results):
        return EXIT_THRESHOLD, "a threshold was crossed"
    if stats.num_failures:
        return error_code, "%d requests failed" % stats.num_failures
    if runner.exceptions:
        return error_code, "users raised %d exceptions" % sum(
            e["count"] for e in runner.exceptions.values())
    started = runner.state != STATE_INIT and (runner.num_clients or 0) > 0
    if started and not requests_seen and not stats.num_requests:
        return error_code, "users were started but made no request"
    return EXIT_OK, None


class RunReport:
    """The periodic and final reports of one run; see the module docstring.

    ``checks`` are the parsed thresholds (:mod:`locust.thresholds`).
    """

    def __init__(self, runner, options, checks=(), out=None):
        self.runner = runner
        self.options = options
        self.checks = list(checks)
        self.json = bool(getattr(options, "json", False))
        self.out = out or (sys.stderr if self.json else sys.stdout)
        no_web = getattr(options, "no_web", False)
        self.print_tables = ((no_web and not getattr(options, "only_summary", False))
                             or getattr(options, "print_stats", False))
        self.csv_prefix = getattr(options, "csv_prefix", None)
        self.abort = bool(getattr(options, "threshold_abort", False)) and any(
            t.final_once_crossed for t in self.checks)
        self.history = None
        self.aborted_by = None
        #: True once any request was made or reported (statistics resets aside).
        self.requests_seen = False
        self._greenlet = None
        self._listening = False

    def _seen(self, **_kwargs):
        self.requests_seen = True

    def _reported(self, data=None, **_kwargs):
        total = (data or {}).get("stats_total") or {}
        if total.get("num_requests") or total.get("num_failures"):
            self.requests_seen = True

    def _listen(self, on):
        if on == self._listening:
            return
        self._listening = on
        for hook, listener in ((events.request_success, self._seen),
                               (events.request_failure, self._seen),
                               (events.slave_report, self._reported)):
            if on:
                hook += listener
            else:
                hook -= listener

    def start(self):
        """Open the history file and start the periodic greenlet (when needed)."""
        self._listen(True)
        if self.csv_prefix:
            try:
                self.history = reports.HistoryWriter(
                    self.csv_prefix, getattr(self.options, "stats_history_enabled", False))
            except OSError as exc:
                logger.error("Could not write %s_stats_history.csv: %s", self.csv_prefix, exc)
        if self.print_tables or self.csv_prefix or self.abort:
            self._greenlet = spawn(self._loop)
        return self

    def stop(self):
        """Stop the periodic greenlet."""
        self._listen(False)
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def _loop(self):
        while True:
            sleep(INTERVAL)
            self.tick()

    def tick(self):
        """One period: table, CSV files, history row, threshold check."""
        if self.print_tables:
            print(stats_report.stats_table(self.runner.stats), file=self.out, flush=True)
        if self.csv_prefix:
            self.write_csv()
            self._history_row()
        if self.abort and self.aborted_by is None:
            self.check_abort()

    def check_abort(self):
        """Stop the run if a threshold that can no longer pass is crossed; returns it or None."""
        if self.runner.state == STATE_INIT:
            return None
        for check in self.checks:
            if not check.final_once_crossed:
                continue
            result = check.evaluate(self.runner.stats)
            if result.value is not None and not result.passed:
                self.aborted_by = result
                logger.warning("Threshold %s crossed (measured %s): stopping the run "
                               "(--threshold-abort)", check.expression, result.measured)
                self.runner.stop_reason = "threshold crossed"
                spawn(self.runner.stop)
                return result
        return None

    def _history_row(self):
        if self.history is None:
            return
        try:
            self.history.write(self.runner.stats, self.runner.user_count)
        except OSError as exc:
            logger.error("Could not write %s: %s", self.history.path, exc)
            self.history = None

    def write_csv(self):
        """Rewrite the CSV files (0.7's and 2.x's); errors are logged."""
        prefix = self.csv_prefix
        try:
            stats_report.write_csv_files(self.runner.stats, prefix, self.runner.exceptions)
            reports.write_stats_csv(self.runner.stats, prefix)
        except OSError as exc:
            logger.error("Could not write the CSV files %s_*.csv: %s", prefix, exc)

    def finish(self):
        """The final reports; returns the exit status."""
        self.stop()
        runner, stats, out = self.runner, self.runner.stats, self.out
        results = thresholds.evaluate_all(self.checks, stats)
        print(stats_report.stats_table(stats), file=out)
        print(stats_report.percentile_table(stats), file=out)
        report = stats_report.error_report(stats)
        if report:
            print(report, file=out)
        table = thresholds.results_table(results)
        if table:
            print(table, file=out)
        warning = getattr(runner, "cpu_warning", None)
        if warning:
            print("WARNING: %s\n" % warning, file=out)
        out.flush()
        if self.csv_prefix:
            self.write_csv()
            self._history_row()
            if self.history is not None:
                self.history.close()
        if self.json:
            sys.stdout.write(reports.json_text(stats) + "\n")
            sys.stdout.flush()
        json_file = getattr(self.options, "json_file", None)
        if json_file:
            try:
                reports.write_json_file(stats, json_file)
            except OSError as exc:
                logger.error("Could not write %s: %s", reports.json_file_name(json_file), exc)
        code, why = _decide(runner, results, getattr(self.options, "exit_code_on_error", 1),
                            self.requests_seen)
        logger.info("Shutting down (exit code %d%s)", code, ": " + why if why and code else "")
        return code
