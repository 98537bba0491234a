"""The command line: ``locust [options] [LocustClass [LocustClass2 ...]]``.

:func:`main` parses the options, finds and imports the locustfile (after
:func:`locust.engine.monkey.patch_all`, so that stdlib-based clients in it
cooperate), picks the Locust classes, creates the runner and either serves
the web UI (:func:`locust.web.start`) or, with ``--no-web``/``--headless``,
starts the test at once and prints statistics until it ends (``-t``, ``-n``,
every user finished, Ctrl-C or SIGTERM). At the end it fires
``events.quitting``, prints the summary, percentile and error tables, writes
the ``--csv`` files and exits 0, or 1 if any request failed.

Bad input gets one line on stderr and a non-zero exit, never a traceback
from here: 2 for usage errors (bad option values), 1 for a missing
locustfile, one that fails to import (its own traceback is shown), no or
unknown Locust classes, an HttpLocust without a host.
"""

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from urllib.parse import urlsplit

from greenlet import getcurrent

from . import __version__, events, runners, stats_report
from .core import HttpLocust
from .engine import get_hub, sleep, spawn
from .locustfile import LocustfileImportError, find_locustfile, is_locust, load_locustfile
from .runners import LocalLocustRunner, parse_timespan

__all__ = ["main", "parse_options", "find_locustfile", "load_locustfile",
           "is_locust", "setup_logging", "select_runner_class", "create_runner",
           "CommandLineError"]

logger = logging.getLogger("locust.main")

#: Seconds between two statistics tables (and --csv writes) while running.
STATS_INTERVAL = 2.0


class CommandLineError(Exception):
    """Bad input: ``str(exc)`` is the one line shown, ``exit_code`` the status."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (not usage + error)."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("invalid integer: %r" % text) from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative: %r" % text)
    return value


def _positive_int(text):
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0: %r" % text)
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("invalid number: %r" % text) from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number above 0: %r" % text)
    return value


def _timespan(text):
    try:
        return parse_timespan(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text):
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("not a port number: %r" % text)
    return value


def create_parser():
    """The argparse parser of the ``locust`` command."""
    parser = _Parser(prog="locust", usage="locust [options] [LocustClass [LocustClass2 ...]]",
                     description="Load-test a system with simulated users described in a locustfile.")
    add = parser.add_argument
    add("-H", "--host", default=None,
        help="Host to load test, e.g. http://10.21.32.33 (overrides every class's host)")
    add("--web-host", default="", help="Host to bind the web interface to (default: every interface)")
    add("-P", "--port", "--web-port", dest="web_port", type=_port, default=8089,
        help="Port on which to run the web interface (default 8089)")
    add("--web-auth", default=None, metavar="USER:PASSWORD",
        help="Require HTTP basic authentication for the web interface")
    add("-f", "--locustfile", default="locustfile",
        help="Python module file to import, e.g. '../other.py' (default: locustfile)")
    add("--csv", dest="csv_prefix", default=None, metavar="PREFIX",
        help="Write statistics to PREFIX_requests.csv, PREFIX_distribution.csv, "
             "PREFIX_failures.csv and PREFIX_exceptions.csv")
    add("--master", action="store_true", help="Run as the master of a distributed test")
    add("--slave", "--worker", dest="slave", action="store_true",
        help="Run as a slave of a distributed test")
    add("--master-host", default="127.0.0.1", help="Host of the master, for a slave (default 127.0.0.1)")
    add("--master-port", type=_port, default=5557,
        help="Port of the master, for a slave; port+1 is used too (default 5557)")
    add("--master-bind-host", default="*", help="Interface the master binds to (default *: all)")
    add("--master-bind-port", type=_port, default=5557,
        help="Port the master binds; port+1 is used too (default 5557)")
    add("--expect-slaves", "--expect-workers", dest="expect_slaves", type=_positive_int,
        default=None, metavar="N",
        help="Headless master: wait for N slaves before starting (default 1, or --processes)")
    add("--expect-slaves-max-wait", "--expect-workers-max-wait", dest="expect_slaves_max_wait",
        type=_positive_float, default=None, metavar="SECONDS",
        help="Headless master: exit (status 1) if the slaves have not all connected after "
             "SECONDS (default: wait as long as it takes)")
    add("--processes", type=_positive_int, default=None, metavar="N",
        help="Start N slave processes on this machine; this process is their master "
             "(or, with --slave, only supervises them)")
    add("--heartbeat-interval", type=_positive_float, default=None, metavar="SECONDS",
        help="Seconds between heartbeats of master and slaves (default 1); a peer "
             "silent for 3 intervals is missing")
    add("--slave-exit-timeout", "--worker-exit-timeout", dest="slave_exit_timeout",
        type=_positive_float, default=None, metavar="SECONDS",
        help="A slave exits after this many seconds without its master (default: "
             "it waits for the master to come back)")
    add("--no-web", "--headless", dest="no_web", action="store_true",
        help="Start the test at once, without the web interface")
    add("-c", "--clients", "-u", "--users", dest="num_clients", type=_non_negative_int,
        default=None, help="Number of users to simulate (default 1; with the web UI, the form's default)")
    add("-r", "--hatch-rate", "--spawn-rate", dest="hatch_rate", type=_positive_float, default=1.0,
        help="Users started per second (default 1)")
    add("-n", "--num-request", "--num-requests", dest="num_requests", type=_positive_int,
        default=None, help="Stop after this many requests (successes + failures)")
    add("-t", "--run-time", dest="run_time", type=_timespan, default=None,
        help="Stop after this time, e.g. 30 (seconds), 30s, 5m, 1h30m")
    add("--reset-stats", action="store_true",
        help="Reset the statistics when all users are hatched (default: keep everything)")
    add("-L", "--loglevel", default="INFO", help="DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO)")
    add("--logfile", default=None, help="Write the log to this file instead of stderr")
    add("--print-stats", action="store_true", help="Print the statistics table while the web UI runs")
    add("--only-summary", action="store_true", help="Print only the final summary, no periodic table")
    add("-l", "--list", dest="list_commands", action="store_true", help="List the Locust classes and exit")
    add("--show-task-ratio", action="store_true", help="Print the task ratios and exit")
    add("--show-task-ratio-json", action="store_true", help="Print the task ratios as JSON and exit")
    add("-V", "--version", action="version", version="Locust %s" % __version__)
    add("locust_classes", nargs="*", metavar="LocustClass", help="Locust classes to run (default: all)")
    return parser


def parse_options(args=None):
    """Parse ``args`` (default sys.argv[1:]); returns (parser, options, class names).

    Exits with status 2 and one line on stderr for a bad option or value.
    """
    parser = create_parser()
    options = parser.parse_args(args)
    level = options.loglevel.upper()
    if not isinstance(logging.getLevelName(level), int):
        parser.error("argument -L/--loglevel: unknown level %r" % options.loglevel)
    options.loglevel = level
    # Names the original and other modules know these options by.
    options.port = options.web_port
    options.csvfilebase = options.csv_prefix
    if options.csv_prefix:
        folder = os.path.dirname(options.csv_prefix)
        if folder and not os.path.isdir(folder):
            parser.error("argument --csv: directory %r does not exist" % folder)
    return parser, options, options.locust_classes


# ------------------------------------------------------------------ logging

class _HostnameFilter(logging.Filter):
    """Adds ``%(hostname)s`` to every record (useful when logs of slaves meet)."""

    hostname = socket.gethostname()

    def filter(self, record):
        record.hostname = self.hostname
        return True


def setup_logging(loglevel="INFO", logfile=None):
    """Log to stderr (or ``logfile``) as "[time] host/LEVEL/logger: message".

    Raises CommandLineError when the log file cannot be opened.
    """
    try:
        handler = logging.FileHandler(logfile) if logfile else logging.StreamHandler(sys.stderr)
    except OSError as exc:
        raise CommandLineError("could not open log file %s: %s" % (logfile, exc.strerror or exc), 1) from None
    handler.addFilter(_HostnameFilter())
    handler.setFormatter(logging.Formatter(
        "[%(asctime)s] %(hostname)s/%(levelname)s/%(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(loglevel)


# ------------------------------------------------------------------- runner

def select_runner_class(options):
    """The runner class for ``options``: the one place that chooses it.

    Raises CommandLineError (status 2) for --master with --slave.
    """
    if options.master and options.slave:
        raise CommandLineError("--master and --slave cannot be used together", 2)
    if options.master:
        from .master import MasterLocustRunner
        return MasterLocustRunner
    if options.slave:
        from .slave import SlaveLocustRunner
        return SlaveLocustRunner
    return LocalLocustRunner


def create_runner(options, locust_classes):
    """Create the runner for ``options`` and make it ``runners.locust_runner``.

    Raises CommandLineError when a master cannot bind its ports or a slave
    cannot use its master's address.
    """
    cls = select_runner_class(options)
    try:
        runner = cls(locust_classes, options)
    except OSError as exc:
        raise CommandLineError(str(exc), 1) from None
    runners.locust_runner = runner
    return runner


def _select_classes(available, names):
    """The classes named (all when ``names`` is empty); CommandLineError for unknown ones."""
    if not names:
        return list(available.values())
    missing = [n for n in names if n not in available]
    if missing:
        raise CommandLineError("Unknown Locust(s): %s" % ", ".join(missing), 1)
    return [available[n] for n in dict.fromkeys(names)]


def _check_hosts(classes, options):
    """An HttpLocust needs a host: an error headless, a warning with the web UI
    (whose form can give one)."""
    for cls in classes:
        if not (issubclass(cls, HttpLocust) or getattr(cls, "needs_http_host", False)):
            continue  # a custom client may take any kind of host
        if not cls.host:
            message = ("%s has no host: set its host attribute or use --host, e.g. "
                       "--host http://127.0.0.1:8080" % cls.__name__)
            if options.no_web:
                raise CommandLineError(message, 1)
            logger.warning("%s (or give one in the web form)", message)
            continue
        parts = urlsplit(cls.host)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # Otherwise every user would die on its first request.
            raise CommandLineError(
                "%s needs an http:// or https:// host, not %r (from %s)" % (
                    cls.__name__, cls.host, "--host" if options.host else "its host attribute"),
                2 if options.host else 1)


def _print_task_ratios(classes, as_json):
    from .inspectlocust import get_task_ratio_dict, print_task_ratio
    if as_json:
        print(json.dumps({"per_class": get_task_ratio_dict(classes),
                          "total": get_task_ratio_dict(classes, total=True)}))
        return
    print("\n Task ratio per locust class")
    print("-" * 80)
    print_task_ratio(classes)
    print("\n Total task ratio")
    print("-" * 80)
    print_task_ratio(classes, total=True)


# -------------------------------------------------------------- the run

def _install_signal_handlers():
    """SIGINT and SIGTERM become a KeyboardInterrupt in the main greenlet.

    The handler only schedules the interrupt: Python runs handlers in
    whatever greenlet is current, and raising there would kill a user
    instead of stopping the test. The hub's wake-up fd wakes its select().
    """
    hub = get_hub()
    main_greenlet = getcurrent()

    def interrupt_main():
        if not main_greenlet.dead:
            main_greenlet.throw(KeyboardInterrupt)

    def handler(_signum, _frame):
        hub.run_callback(interrupt_main)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _stats_loop(runner, print_tables, csv_prefix):
    """Print the table (and rewrite the CSV files) every STATS_INTERVAL seconds."""
    while True:
        sleep(STATS_INTERVAL)
        if print_tables:
            print(stats_report.stats_table(runner.stats), flush=True)
        if csv_prefix:
            _write_csv(runner, csv_prefix)


def _write_csv(runner, prefix):
    try:
        stats_report.write_csv_files(runner.stats, prefix, runner.exceptions)
    except OSError as exc:
        logger.error("Could not write the CSV files %s_*.csv: %s", prefix, exc)


def _shutdown(runner, options):
    """Stop the users, fire quitting, print the summary; returns the exit status."""
    try:
        runner.quit()
    except KeyboardInterrupt:
        # A second Ctrl-C: do not wait for the requests on the wire.
        logger.warning("Interrupted again: killing the users without waiting")
        runner.stop(grace=0)
    code = 1 if runner.stats.num_failures else 0
    logger.info("Shutting down (exit code %d)", code)
    try:
        events.quitting.fire()
    except Exception:
        logger.exception("A quitting listener failed")
    print(stats_report.stats_table(runner.stats))
    print(stats_report.percentile_table(runner.stats))
    report = stats_report.error_report(runner.stats)
    if report:
        print(report)
    sys.stdout.flush()
    if options.csv_prefix:
        _write_csv(runner, options.csv_prefix)
    return code


def _run(options, classes):
    from . import processes
    runner = create_runner(options, classes)
    _install_signal_handlers()
    if options.slave:
        return processes.run_slave(runner)
    children = None
    num_clients = 1 if options.num_clients is None else options.num_clients
    runner.num_clients = num_clients
    periodic = None
    web_server = None
    try:
        if not options.no_web:
            from . import web  # imported only when served: it needs bottle
            try:
                web_server = web.start(runner, options)
            except (OSError, ValueError) as exc:
                reason = getattr(exc, "strerror", None) or exc
                raise CommandLineError("could not start the web interface on %s:%s: %s" % (
                    options.web_host or "*", options.web_port, reason), 1) from None
        print_tables = (options.no_web and not options.only_summary) or options.print_stats
        if options.processes:
            children = processes.start_local_slaves(options, classes, runner)
        if options.no_web and options.master:
            # Before the periodic tables: empty ones while waiting are noise.
            expected = options.expect_slaves or options.processes or 1
            problem = processes.wait_for_slaves(runner, expected, children,
                                                options.expect_slaves_max_wait)
            if problem:
                raise CommandLineError(problem, 1)
        if print_tables or options.csv_prefix:
            periodic = spawn(_stats_loop, runner, print_tables, options.csv_prefix)
        if options.no_web:
            try:
                runner.start_hatching(num_clients, options.hatch_rate)
            except ValueError as exc:  # e.g. every class has weight 0
                raise CommandLineError(str(exc), 1) from None
            # Waits in slices so the hub always has a timer: with no user and
            # nothing else to wait for it would report a dead lock instead.
            while not runner.wait(1.0):
                pass
        else:
            while True:
                sleep(3600)
    except KeyboardInterrupt:
        logger.info("Got an interrupt, stopping")
    except CommandLineError:
        if children:
            processes.stop_slaves(children, timeout=0)
        raise
    finally:
        if periodic is not None:
            periodic.kill(block=False)
    code = _shutdown(runner, options)
    if children:
        with contextlib.suppress(KeyboardInterrupt):
            processes.stop_slaves(children)
    if web_server is not None:
        with contextlib.suppress(KeyboardInterrupt):
            web_server.stop(timeout=1)
    return code


def main(args=None):
    """The ``locust`` console entry point; exits with the run's status."""
    try:
        sys.exit(_main(args))
    except CommandLineError as exc:
        sys.stderr.write("locust: error: %s\n" % exc)
        sys.stderr.flush()
        sys.exit(exc.exit_code)


def _main(args):
    _parser, options, names = parse_options(args)
    setup_logging(options.loglevel, options.logfile)
    if options.processes and not options.slave and not options.master:
        # A standalone helper master for local slaves only: loopback, free ports.
        options.master = True
        options.master_bind_host = "127.0.0.1"
        options.master_bind_port = 0
    select_runner_class(options)  # fail early for a bad role

    path = find_locustfile(options.locustfile)
    if path is None:
        raise CommandLineError(
            "Could not find any locustfile! Ensure file ends in '.py' and see --help "
            "for available options.", 1)

    # Before the locustfile is imported, so that the clients it imports
    # (xmlrpc.client, smtplib, ...) get cooperative sockets and sleep.
    from .engine import monkey
    monkey.patch_all()

    try:
        _module, available = load_locustfile(path)
    except LocustfileImportError as exc:
        sys.stderr.write(exc.text)
        raise CommandLineError("could not import the locustfile %s (see above)" % path, 1) from None

    if options.list_commands:
        print("Available Locusts:")
        for name in available:
            print("    " + name)
        return 0
    if not available:
        raise CommandLineError("No Locust class found!", 1)
    classes = _select_classes(available, names)

    if options.show_task_ratio or options.show_task_ratio_json:
        _print_task_ratios(classes, options.show_task_ratio_json)
        return 0

    if options.host:
        for cls in classes:
            cls.host = options.host
    if options.slave:
        if options.processes:
            from . import processes
            command = processes.slave_command(
                options, path, [cls.__name__ for cls in classes], options.master_host,
                options.master_port, options.slave_exit_timeout)
            return processes.supervise(processes.start_slaves(options.processes, command))
    else:
        # A slave gets its host from the master's hatch message.
        _check_hosts(classes, options)
    options.locustfile_path = path
    return _run(options, classes)


if __name__ == "__main__":
    main()
