"""Wait functions for ``wait_time`` (2.x): seconds between two tasks of a user.

Each returns a function that takes the user (or TaskSet) it is assigned to,
so it works as a class attribute::

    class MyUser(HttpUser):
        wait_time = between(1, 5)

Any callable ``wait_time(self)`` returning seconds (a float) works as well.
"""

import random
import time

__all__ = ["between", "constant", "constant_pacing", "constant_throughput"]


def between(min_wait, max_wait):
    """A random wait, uniform between ``min_wait`` and ``max_wait`` seconds."""
    low, span = float(min_wait), float(max_wait) - float(min_wait)
    uniform = random.random

    def wait_time(_user):
        return low + uniform() * span
    return wait_time


def constant(wait_time):
    """Always the same wait, ``wait_time`` seconds."""
    seconds = wait_time

    def constant_wait(_user):
        return seconds
    return constant_wait


def _origin(obj, now):
    # When the owner started: a TaskSet's start, or its user's root TaskSet's.
    started = getattr(obj, "_time_start", None)
    if started is None:
        started = getattr(getattr(obj, "_taskset_instance", None), "_time_start", None)
    return now if started is None else started


def constant_pacing(wait_time):
    """A wait that makes each task start ``wait_time`` seconds after the previous one.

    The time the task took is subtracted; a task longer than ``wait_time``
    is followed by no wait. The pace is kept per user (per TaskSet when the
    TaskSet has its own ``wait_time``).
    """
    pace = float(wait_time)

    def pacing_wait(obj):
        now = time.monotonic()
        state = obj.__dict__
        last_end = state.get("_cp_last_end")      # when the previous wait ended
        if last_end is None:
            last_end = _origin(obj, now)
        wait = max(0.0, pace - (now - last_end))
        state["_cp_last_end"] = now + wait
        return wait
    return pacing_wait


def constant_throughput(task_runs_per_second):
    """A wait that makes a user run at most ``task_runs_per_second`` tasks a second.

    The inverse of :func:`constant_pacing`: ``constant_throughput(2)`` is
    ``constant_pacing(0.5)``.
    """
    return constant_pacing(1.0 / task_runs_per_second)
