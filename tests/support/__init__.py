"""What the tests share: paths, processes, ports, waiting, targets, the browser.

The one copy of each helper; no test module imports another.  Servers that
tests run against are *not* built on the engine (stdlib servers in a thread
or a subprocess), so the engine is never tested only against itself:

- :mod:`support.targets`: :class:`CountingServer`, a stdlib HTTP server that
  counts what it receives (the "target saw N requests" side of every exact
  count);
- :mod:`support.http_target`: a stdlib HTTP(S) server and proxy with many
  routes, for the HTTP client's tests;
- :mod:`support.servers`: an echo server process, ``serve_in_thread``, an
  XML-RPC server process, for the engine's socket tests;
- :mod:`support.locust_process`: ``python -m locust`` as a subprocess;
- :mod:`support.browser`: Chromium + Playwright settings for the dashboard tests;
- :mod:`support.report_page`: an HTML report read back and checked against the CSV files.
"""

import os
import random
import socket
import subprocess
import sys
import textwrap
import time

#: The project's root directory (where ``locust/`` is).
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: This directory's parent (``tests/``): put on a child's path so it can import ``support``.
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

__all__ = ["ROOT", "TESTS", "child_env", "run_child", "wait_until", "free_port", "free_port_pair"]


def child_env(**extra):
    """The environment of a child process: this one, the project and ``tests/`` importable."""
    env = dict(os.environ)
    paths = [ROOT, TESTS] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_child(code, timeout=60, args=()):
    """Run ``code`` in a fresh interpreter with the project importable.

    For what touches process-global state (signals, monkey patching, fork).
    Returns the CompletedProcess (text output).
    """
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=child_env(),
                          capture_output=True, text=True, timeout=timeout)


def wait_until(predicate, timeout=10.0, interval=0.01, sleep=None):
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed; returns its last value.

    ``sleep`` defaults to the engine's (so greenlets of the test process run
    meanwhile); pass ``time.sleep`` where no hub may be created.  The timeout
    is a bound for a broken case, never a measurement: keep it generous.
    """
    if sleep is None:
        from locust.engine import sleep
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        sleep(interval)


def _quiet_port_range():
    """Ports the kernel never hands out on its own: those below its ephemeral range.

    A port picked by binding port 0 comes from the ephemeral range, where any
    outgoing connection of any process on the machine may take it between
    the check and the caller's bind (seen: a master's second port taken that
    way).  Below that range only an explicit bind can take a port.
    """
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral_low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    low = 10000 if ephemeral_low > 11000 else 1024
    return low, ephemeral_low - 2   # room for P + 1 below the range


_rng = random.Random()   # seeded from os.urandom: other test processes pick other ports


def _bindable(port):
    with socket.socket() as sock:
        try:
            sock.bind(("", port))   # every address: stricter than the caller's bind
        except OSError:
            return False
    return True


def free_port(avoid=()):
    """A TCP port that is free now, not in ``avoid``, and below the ephemeral range.

    Picked at random among the ports the kernel never assigns to outgoing
    connections (see :func:`_quiet_port_range`), then checked by binding it;
    so it stays free until the caller binds it unless another test picks the
    same one in between.
    """
    low, high = _quiet_port_range()
    for _ in range(1000):
        port = _rng.randint(low, high)
        if port not in avoid and _bindable(port):
            return port
    raise RuntimeError("no free port")


def free_port_pair():
    """A port P such that P and P+1 are both free now (a master binds both).

    Chosen like :func:`free_port`, below the ephemeral range.
    """
    low, high = _quiet_port_range()
    for _ in range(1000):
        port = _rng.randint(low, high)
        if _bindable(port) and _bindable(port + 1):
            return port
    raise RuntimeError("no free pair of ports")
