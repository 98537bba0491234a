"""Settings and fixtures shared by every test module (helpers live in ``support``)."""

import signal

import pytest

from locust.engine.testing import autojump_hub
from support.targets import CountingServer

# A shell starts background jobs with SIGINT ignored, and a Python process
# that starts with SIGINT ignored keeps ignoring it, as do the processes it
# starts.  Tests that stop a child with SIGINT (as Ctrl-C would) must not
# depend on how the suite was launched: give the suite, and so its children,
# the handler of a process started from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def counting_target():
    """A stdlib HTTP server in a thread; ``.count`` is the requests it received, ``.url`` its URL."""
    server = CountingServer()
    yield server
    server.close()


@pytest.fixture
def fake_clock():
    """Run the test on a hub of its own whose clock jumps to the next timer whenever
    nothing is ready (``locust.engine.testing``); yields the FakeClock.

    Sleeps, timeouts and rates then take no wall-clock time and are exact on
    the hub's clock (``locust.engine.clock()``): assert on that, never on
    ``time.monotonic()``.  Request it before fixtures that spawn greenlets,
    so that they are torn down while its hub still runs.
    """
    with autojump_hub() as clock:
        yield clock
