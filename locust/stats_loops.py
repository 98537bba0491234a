"""``stats_printer`` and ``stats_history`` (2.x): statistics loops to spawn.

::

    from locust.engine import spawn
    from locust.stats import stats_history, stats_printer

    spawn(stats_printer(env.stats))      # prints the table every 2 s
    spawn(stats_history, env.runner)     # appends a row to stats.history every 5 s

(Locust 2.x spawns them with ``gevent.spawn``; here ``locust.engine.spawn``.)
The dashboard does not need ``stats_history``: each runner keeps its own
history (:mod:`locust.history`); this loop fills ``stats.history`` for
scripts that read it.
"""

import time

from .engine import sleep

__all__ = ["stats_printer", "stats_history", "CONSOLE_STATS_INTERVAL_SEC",
           "HISTORY_STATS_INTERVAL_SEC"]

#: Seconds between two tables of :func:`stats_printer`.
CONSOLE_STATS_INTERVAL_SEC = 2
#: Seconds between two rows of :func:`stats_history`.
HISTORY_STATS_INTERVAL_SEC = 5


def stats_printer(stats):
    """A function that prints the statistics table of ``stats`` every 2 s, forever."""
    def stats_printer_func():
        from .stats_report import stats_table
        while True:
            print(stats_table(stats), flush=True)
            sleep(CONSOLE_STATS_INTERVAL_SEC)
    return stats_printer_func


def history_row(runner):
    """One row of the history: time, users, rates and percentiles of the Total now."""
    total = runner.stats.total
    return {
        "time": time.time(),
        "user_count": runner.user_count,
        "current_rps": total.current_rps,
        "current_fail_per_sec": getattr(total, "current_fail_per_sec", 0),
        "num_requests": total.num_requests,
        "num_failures": total.num_failures,
        "response_time_percentile_50": total.get_response_time_percentile(0.5),
        "response_time_percentile_95": total.get_response_time_percentile(0.95),
    }


def stats_history(runner):
    """Append :func:`history_row` to ``runner.stats.history`` every 5 s, forever."""
    stats = runner.stats
    if not isinstance(getattr(stats, "history", None), list):
        stats.history = []
    while True:
        stats.history.append(history_row(runner))
        sleep(HISTORY_STATS_INTERVAL_SEC)
