"""The distributed roles on the command line, and ``--processes N``.

:func:`run_slave` is a slave's life (``locust --slave``),
:func:`wait_for_slaves` a headless master's wait (``--expect-slaves``), and
the rest starts and ends local slave processes:

``--processes N`` runs slave processes on this machine, so one command uses
every core.

A process runs one hub on one core. ``locust -f f.py --processes 4 ...``
starts 4 slaves as ``python -m locust -f f.py --slave ...`` subprocesses
(fresh interpreters: nothing of the parent's state, sockets or hub is
inherited, which forking a process with a running hub would not give) and
the parent is their master: with ``--master`` on its usual ports, without
it on a free pair of loopback ports.  ``--slave --processes N`` starts N
slaves for a remote master and only supervises them.

The children must not outlive the parent. On Linux each child asks the
kernel for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``, via
ctypes), which works even when the parent is SIGKILLed; everywhere, a child
of a master also exits on its own once it has not heard from the master for
``--slave-exit-timeout`` seconds (default :data:`CHILD_EXIT_TIMEOUT`).
"""

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time

from . import events
from .engine import get_hub, sleep

__all__ = ["CHILD_EXIT_TIMEOUT", "run_slave", "wait_for_slaves", "start_local_slaves",
           "slave_command", "start_slaves", "stop_slaves", "supervise"]

logger = logging.getLogger("locust.main")

#: Seconds without a master after which a child of a master exits.
CHILD_EXIT_TIMEOUT = 10.0
_PR_SET_PDEATHSIG = 1


def run_slave(runner):
    """Serve the master until it says quit (or is gone for good); returns the exit status.

    Ctrl-C / SIGTERM (as KeyboardInterrupt) quits: the users stop, the last
    report and ``quit`` go to the master.
    """
    logger.info("Slave %s: connecting to the master at %s:%d", runner.node_id,
                runner.master_host, runner.master_port)
    try:
        while not runner.quitted.wait(1.0):
            pass
    except KeyboardInterrupt:
        logger.info("Got an interrupt, quitting")
    try:
        runner.quit()
    except KeyboardInterrupt:
        return 1
    try:
        events.quitting.fire()
    except Exception:
        logger.exception("A quitting listener failed")
    return runner.exit_code


def wait_for_slaves(runner, expected, children=None, max_wait=None):
    """A headless master: wait until ``expected`` slaves are connected.

    Returns None once they are, or why the test cannot start: every process
    in ``children`` exited, or ``max_wait`` seconds passed first.
    """
    logger.info("Waiting for %d slaves to connect", expected)
    clock = get_hub().clock
    start = clock()
    next_log = start + 5.0
    while runner.slave_count < expected:
        if children and all(child.poll() is not None for child in children):
            return "the slave processes exited before the test started"
        now = clock()
        if max_wait is not None and now - start >= max_wait:
            return "only %d of %d slaves connected within %g s (--expect-slaves-max-wait)" % (
                runner.slave_count, expected, max_wait)
        if now >= next_log:
            logger.info("Waiting for slaves: %d of %d connected", runner.slave_count, expected)
            next_log = now + 5.0
        sleep(0.1)
    return None


def start_local_slaves(options, classes, runner):
    """``--processes N`` with a master here: start N slaves for ``runner``."""
    host = runner.master_bind_host
    if host in ("*", "0.0.0.0", "", "::", "[::]"):
        host = "127.0.0.1"
    exit_timeout = options.slave_exit_timeout or CHILD_EXIT_TIMEOUT
    command = slave_command(options, options.locustfile_path, [cls.__name__ for cls in classes],
                            host, runner.master_bind_port, exit_timeout)
    return start_slaves(options.processes, command)


def slave_command(options, locustfile, class_names, master_host, master_port, exit_timeout):
    """The command line of one slave child."""
    # --processes 0: a child never starts children of its own, whatever a
    # locust.conf or LOCUST_PROCESSES the parent was started with says.
    cmd = [sys.executable, "-m", "locust", "-f", locustfile, "--slave", "--processes", "0",
           "--master-host", master_host, "--master-port", str(master_port),
           "-L", options.loglevel]
    if getattr(options, "heartbeat_interval", None):
        cmd += ["--heartbeat-interval", repr(float(options.heartbeat_interval))]
    if exit_timeout:
        cmd += ["--slave-exit-timeout", repr(float(exit_timeout))]
    if options.logfile:
        cmd += ["--logfile", options.logfile]
    return cmd + list(class_names)


def _die_with_parent(parent_pid):
    """A preexec_fn: SIGTERM this child when its parent dies (Linux)."""
    def hook():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass  # no prctl: the heartbeat timeout still ends the child
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent died before prctl took effect
    return hook


def start_slaves(count, command):
    """Start ``count`` children running ``command``; returns their Popen objects."""
    preexec = _die_with_parent(os.getpid()) if sys.platform.startswith("linux") else None
    children = []
    for _ in range(count):
        children.append(subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                         preexec_fn=preexec))
    logger.info("Started %d slave processes: %s", count,
                ", ".join(str(child.pid) for child in children))
    return children


def stop_slaves(children, timeout=10.0, cooperative=True):
    """Wait up to ``timeout`` s for the children to exit, then terminate the rest.

    Returns the highest exit status. ``cooperative`` waits with the engine's
    sleep (the hub keeps serving meanwhile).
    """
    deadline = time.monotonic() + timeout
    while any(child.poll() is None for child in children) and time.monotonic() < deadline:
        sleep(0.05) if cooperative else time.sleep(0.05)
    for child in children:
        if child.poll() is None:
            logger.warning("Slave process %d did not exit: terminating it", child.pid)
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return max((child.returncode for child in children), default=0)


def supervise(children):
    """Wait for slave children (``--slave --processes N``); returns the highest status.

    Ctrl-C or SIGTERM terminates them (they quit their master cleanly).
    """
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        for child in children:
            child.wait()
    except KeyboardInterrupt:
        logger.info("Got an interrupt, stopping the slave processes")
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        return stop_slaves(children, cooperative=False)
    return max(abs(child.returncode) for child in children)
