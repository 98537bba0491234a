"""Is the load generator saturated? Its CPU, measured every few seconds.

When the process that runs the users is busy all the time, a response
waits in the socket until the hub gets round to it, and the response times
measured grow with the generator's own delay: they are no longer the
target's. :class:`CpuMonitor` samples the process's CPU time
(``os.times()``: user + system) every :data:`SAMPLE_INTERVAL` seconds from
a greenlet (no thread: a sample is two system calls) and divides by the
wall time between samples. Above :data:`CPU_THRESHOLD` percent for
:data:`SUSTAINED_SECONDS` it logs one warning and sets
``runner.cpu_warning`` (the text; None until then), which the summary, the
dashboard and the reports show.

On a master the users run on the slaves: each slave sends its own CPU
percentage in its heartbeats (``SlaveNode.cpu_percent``), and the master's
monitor judges each slave by the same rule and names the one that is
saturated, as well as judging the master process itself.
"""

import logging
import os
import resource
import sys
import time

from .engine import sleep, spawn

__all__ = ["CPU_THRESHOLD", "SUSTAINED_SECONDS", "SAMPLE_INTERVAL", "Sustained",
           "process_cpu_seconds", "rss_bytes", "CpuMonitor"]

logger = logging.getLogger(__name__)

#: Percent of one core above which the generator counts as saturated.
CPU_THRESHOLD = 90.0
#: Seconds the CPU must stay above the threshold before the warning.
SUSTAINED_SECONDS = 10.0
#: Seconds between two samples.
SAMPLE_INTERVAL = 2.0


def process_cpu_seconds():
    """User + system CPU seconds this process has used."""
    times = os.times()
    return times.user + times.system


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes():
    """This process's resident memory in bytes (now on Linux, the peak
    elsewhere); a slave sends it with its heartbeats."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # ru_maxrss is in KB on Linux, in bytes on macOS.
        return peak if sys.platform == "darwin" else peak * 1024


class Sustained:
    """Decides "above ``threshold`` for ``seconds``" from timed samples.

    :meth:`update` takes the time a sample ends and its value (each sample
    covers the time since the previous one) and returns True exactly once:
    when the value has been above the threshold for ``seconds``.
    """

    def __init__(self, threshold=None, seconds=None):
        self.threshold = CPU_THRESHOLD if threshold is None else threshold
        self.seconds = SUSTAINED_SECONDS if seconds is None else seconds
        self.fired = False
        self._above_since = None
        self._last = None

    def update(self, now, value):
        """Record a sample ending at ``now``; True when the condition is first met."""
        previous, self._last = self._last, now
        if value is None or value <= self.threshold:
            self._above_since = None
            return False
        if self._above_since is None:
            self._above_since = previous if previous is not None else now
        if not self.fired and now - self._above_since >= self.seconds:
            self.fired = True
            return True
        return False


class CpuMonitor:
    """Samples this process's CPU for ``runner``; sets ``runner.cpu_percent``
    (the last sample) and ``runner.cpu_warning``.

    ``clock`` (wall seconds) and ``cpu_seconds`` can be replaced by tests.
    """

    def __init__(self, runner, interval=None, clock=time.monotonic, cpu_seconds=process_cpu_seconds):
        self.runner = runner
        self.interval = SAMPLE_INTERVAL if interval is None else interval
        self.clock = clock
        self.cpu_seconds = cpu_seconds
        self._own = Sustained()
        self._slaves = {}
        self._last = None
        self._greenlet = None
        runner.cpu_percent = None
        runner.cpu_warning = None

    def start(self):
        """Start sampling in a greenlet; returns self."""
        self._last = (self.clock(), self.cpu_seconds())
        self._greenlet = spawn(self._loop)
        return self

    def stop(self):
        """Stop sampling."""
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def _loop(self):
        while True:
            sleep(self.interval)
            self.sample()

    def sample(self):
        """Take one sample now (and judge the slaves' last ones); returns the percent."""
        now, cpu = self.clock(), self.cpu_seconds()
        if self._last is None:
            self._last = (now, cpu)
            return None
        then, cpu_then = self._last
        self._last = (now, cpu)
        if now <= then:
            return self.runner.cpu_percent
        percent = 100.0 * (cpu - cpu_then) / (now - then)
        self.runner.cpu_percent = percent
        if self._own.update(now, percent):
            self._warn("this process (%s)" % _role(self.runner), self._own)
        for node in list(getattr(self.runner, "clients", {}).values()):
            tracker = self._slaves.setdefault(node.id, Sustained())
            if tracker.update(now, getattr(node, "cpu_percent", None)):
                self._warn("slave %s" % node.id, tracker)
        return percent

    def _warn(self, who, tracker):
        message = ("The load generator is saturated: %s used more than %g%% CPU for %g s; "
                   "response times include its own delay and are too high" % (
                       who, tracker.threshold, tracker.seconds))
        logger.warning(message)
        if self.runner.cpu_warning is None:
            self.runner.cpu_warning = message


def _role(runner):
    name = type(runner).__name__
    if name.startswith("Master"):
        return "the master"
    if name.startswith("Slave"):
        return "slave %s" % getattr(runner, "node_id", "?")
    return "pid %d" % os.getpid()
