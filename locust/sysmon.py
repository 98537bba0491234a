"""How busy this process is: CPU use (from a timer, no thread) and memory.

A load generator whose CPU is saturated measures its own queueing, not the
target's latency, so the dashboard shows each process's CPU use (a slave
sends its own with every heartbeat) and ``/metrics`` exports it.

:class:`CpuMonitor` reads ``os.times()`` (user + system time of this
process) every ``interval`` seconds from a greenlet of the hub and keeps
the share of one core used since the previous reading, in percent.
:func:`monitor` is the process-wide one, started on first use. Reading
``os.times()`` costs about a microsecond; nothing here runs per request.
"""

import os
import resource
import sys
import time

__all__ = ["CpuMonitor", "monitor", "rss_bytes", "cpu_seconds"]


def cpu_seconds():
    """User + system CPU seconds used by this process so far."""
    times = os.times()
    return times.user + times.system


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes():
    """This process's resident memory in bytes (now on Linux; the peak elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # ru_maxrss is in KB on Linux, in bytes on macOS.
        return peak if sys.platform == "darwin" else peak * 1024


class CpuMonitor:
    """CPU use of this process, in % of one core, sampled every ``interval`` s.

    ``cpu_percent`` is None until two readings exist. ``times`` and
    ``clock`` may be replaced (tests drive them by hand); :meth:`sample`
    takes a reading now and returns the new figure.
    """

    def __init__(self, interval=2.0, times=cpu_seconds, clock=time.monotonic):
        self.interval = interval
        self._times = times
        self._clock = clock
        #: % of one core used between the last two readings, or None.
        self.cpu_percent = None
        self._last = None
        self._greenlet = None

    def sample(self):
        """Take a reading; returns :attr:`cpu_percent` (None after the first)."""
        now, used = self._clock(), self._times()
        if self._last is not None:
            then, used_then = self._last
            if now > then:
                self.cpu_percent = max(0.0, (used - used_then) / (now - then) * 100.0)
        self._last = (now, used)
        return self.cpu_percent

    def start(self):
        """Sample every ``interval`` seconds in a greenlet of the hub (idempotent)."""
        if self._greenlet is None or self._greenlet.dead:
            from .engine import spawn  # the engine imports no product module
            self.sample()
            self._greenlet = spawn(self._loop)
        return self

    def stop(self):
        """Stop sampling."""
        glet, self._greenlet = self._greenlet, None
        if glet is not None:
            glet.kill(block=False)

    def _loop(self):
        from .engine import sleep
        while True:
            sleep(self.interval)
            self.sample()


_monitor = []


def monitor():
    """The process-wide :class:`CpuMonitor`, sampling from its first use on."""
    if not _monitor:
        _monitor.append(CpuMonitor())
    return _monitor[0].start()
