"""The command line: ``locust [options] [LocustClass [LocustClass2 ...]]``.

:func:`main` parses the options (:mod:`locust.argument_parser`, over the
configuration files and ``LOCUST_*`` variables of
:mod:`locust.configuration`), finds and imports the locustfile (after
:func:`locust.engine.monkey.patch_all`, so that stdlib-based clients in it
cooperate), parses again with the options the locustfile adds, picks the
Locust classes, checks the thresholds, creates the runner and either serves
the web UI (:func:`locust.web.start`) or, with ``--no-web``/``--headless``,
starts the test at once and prints statistics until it ends (``-t``, ``-n``,
every user finished, ``--threshold-abort``, Ctrl-C or SIGTERM). At the end
it fires ``events.quitting`` and :class:`locust.summary.RunReport` prints
the summary and writes the reports; the exit status is 0, 1 (or
``--exit-code-on-error``) for failed requests, exceptions or a run without
requests, 3 for a crossed threshold.

Bad input gets one line on stderr and a non-zero exit, never a traceback
from here: 2 for usage errors (bad options, configuration keys or values,
thresholds), 1 for a missing locustfile, one that fails to import (its own
traceback is shown), no or unknown Locust classes, an HttpLocust without a
host.
"""

import contextlib
import gc
import json
import logging
import os
import signal
import socket
import sys
from urllib.parse import urlsplit

from . import cli_v2, configuration, events, runners, thresholds
from .argument_parser import add_custom_group, command_line_dests, create_parser
from .core import HttpLocust
from .engine import getcurrent, signal_handler, throw_now
from .exception import LocustError
from .locustfile import (
    LocustfileImportError,
    find_locustfile,
    is_locust,
    load_locustfile,
    load_locustfiles,
    unusable_classes,
)
from .runners import MAX_USERS_PER_PROCESS, LocalLocustRunner, UserCountError
from .saturation import CpuMonitor
from .summary import RunReport

__all__ = ["main", "parse_options", "create_parser", "find_locustfile", "load_locustfile",
           "is_locust", "setup_logging", "select_runner_class", "create_runner",
           "CommandLineError"]

logger = logging.getLogger("locust.main")


class CommandLineError(Exception):
    """Bad input: ``str(exc)`` is the one line shown, ``exit_code`` the status."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


def parse_options(args=None, environ=None, strict=True, parser=None):
    """Parse ``args`` (default sys.argv[1:]) over the configuration files and
    ``LOCUST_*`` variables (:mod:`locust.configuration`); returns (parser,
    options, class names).

    ``options._sources`` says where each option set outside the command line
    came from. With ``strict`` false, unknown options and configuration keys
    are left for a later, strict parse (after the locustfile added its
    options). Exits with status 2 and one line on stderr for a bad option
    or value; raises CommandLineError (status 2) for a bad configuration.
    """
    args = sys.argv[1:] if args is None else list(args)
    parser = parser or create_parser()
    try:
        namespace = configuration.resolve(parser, args, environ, strict=strict)
    except configuration.ConfigError as exc:
        raise CommandLineError(str(exc), 2) from None
    sources = namespace._sources
    if strict:
        options = parser.parse_args(args, namespace)
    else:
        options, _unknown = parser.parse_known_args(args, namespace)
    given = command_line_dests(options)
    for dest in given:
        sources[dest] = "command line"
    # --master and --worker are one choice: the command line's wins.
    if "slave" in given and "master" not in given:
        options.master = False
    if "master" in given and "slave" not in given:
        options.slave = False
    options._sources = sources
    if not options.locust_classes:
        # Locust 2.x's variable for the positional class names.
        names = (os.environ if environ is None else environ).get("LOCUST_USER_CLASSES", "")
        options.locust_classes = names.split()
    # Names the original and other modules know these options by.
    options.port = options.web_port
    options.csvfilebase = options.csv_prefix
    if options.csv_prefix:
        folder = os.path.dirname(options.csv_prefix)
        if folder and not os.path.isdir(folder):
            _usage_error(parser, options, "csv_prefix", "--csv",
                         "directory %r does not exist" % folder)
    if options.stats_history_enabled and not options.csv_prefix:
        _usage_error(parser, options, "stats_history_enabled", "--csv-full-history",
                     "needs --csv PREFIX")
    if options.web_auth is not None:
        user, sep, _password = options.web_auth.partition(":")
        if not sep or not user:
            _usage_error(parser, options, "web_auth", "--web-auth",
                         "must be given as user:password")
    if options.autoquit is not None and not options.autostart:
        _usage_error(parser, options, "autoquit", "--autoquit", "only meaningful with --autostart")
    _check_user_count(parser, options)
    return parser, options, options.locust_classes


def _check_user_count(parser, options):
    """More users than the processes could ever run is a usage error (a
    master checks again against the slaves it has when the test starts)."""
    if options.num_clients is None or options.slave:
        return
    if options.master:
        from .rpc import MAX_SLAVES
        processes, what = options.max_slaves or MAX_SLAVES, "slaves (--max-workers)"
    else:
        processes = options.processes or 1
        what = "process" if processes == 1 else "processes"
    if options.num_clients > MAX_USERS_PER_PROCESS * processes:
        count = options.num_clients
        shown = "%d" % count if count < 10 ** 15 else "%.3g" % count
        _usage_error(parser, options, "num_clients", "-u/-c",
                     "%s users is more than %d %s can run (at most %d per process)" % (
                         shown, processes, what, MAX_USERS_PER_PROCESS))


def _usage_error(parser, options, dest, flag, problem):
    source = options._sources.get(dest, "command line")
    if source == "command line":
        parser.error("argument %s: %s" % (flag, problem))
    raise CommandLineError("%s: %s: %s" % (source, flag.lstrip("-"), problem), 2)


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
        if not (issubclass(cls, HttpLocust) or getattr(cls, "_needs_http_host", False)):
            continue  # a custom client may take any kind of host
        if not cls.host:
            message = ("%s has no host: set its host attribute or use --host, e.g. "
                       "--host http://127.0.0.1:8080" % cls.__name__)
            if options.no_web:
                raise CommandLineError(message, 1)
            logger.warning("%s (or give one in the web form)", message)
            continue
        parts = urlsplit(cls.host)
        problem = None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # Otherwise every user would die on its first request.
            problem = "needs an http:// or https:// host, not %r" % cls.host
        else:
            try:
                parts.port  # noqa: B018 - the property raises for a bad port
            except ValueError:
                problem = "has a host whose port is out of range (0-65535): %r" % cls.host
        if problem:
            source = options._sources.get("host", "--host") if options.host else None
            if source == "command line":
                source = "--host"
            raise CommandLineError("%s %s (from %s)" % (
                cls.__name__, problem, source or "its host attribute"), 2 if source else 1)


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
    """SIGINT and SIGTERM become a KeyboardInterrupt in the program's main flow.

    The engine's handlers run in the hub, not in whatever user happens to
    run when the signal arrives (raising there would kill that user instead
    of stopping the test), and while they are installed the main flow may
    wait for a signal alone without the hub calling it a dead lock.
    """
    main = getcurrent()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal_handler(signum, throw_now, main, KeyboardInterrupt)


def _shutdown(runner, report, environment):
    """Stop the users, fire quitting, print the summary; returns the exit status.

    A quitting listener may set ``environment.process_exit_code`` (2.x): it
    replaces the status.
    """
    try:
        runner.quit()
    except KeyboardInterrupt:
        # A second Ctrl-C: do not wait for the requests on the wire.
        logger.warning("Interrupted again: killing the users without waiting")
        runner.stop(grace=0)
    try:
        events.quitting.fire(environment=environment, reverse=True)
    except Exception:
        logger.exception("A quitting listener failed")
    code = report.finish()
    if environment.process_exit_code is not None:
        code = environment.process_exit_code
        logger.info("Exit code %d (set by the locustfile)", code)
    events.quit.fire(exit_code=code)
    return code


def _run(options, classes, checks, shape_class=None, available=None):
    from . import processes
    runner = create_runner(options, classes)
    environment = cli_v2.make_environment(options, classes, shape_class, available or {}, runner)
    _install_signal_handlers()
    monitor = CpuMonitor(runner).start()
    if options.slave:
        cli_v2.fire_init(environment, runner, None)
        return processes.run_slave(runner)
    children = None
    num_clients = 1 if options.num_clients is None else options.num_clients
    runner.num_clients = num_clients
    report = RunReport(runner, options, checks)
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
            from .web_ui import WebUI
            environment.web_ui = WebUI.serving(environment, web_server, options)
        cli_v2.fire_init(environment, runner, environment.web_ui)
        if options.processes:
            children = processes.start_local_slaves(options, classes, runner)
        if options.no_web and options.master:
            # Before the periodic tables: empty ones while waiting are noise.
            expected = options.expect_slaves or options.processes or 1
            problem = processes.wait_for_slaves(runner, expected, children,
                                                options.expect_slaves_max_wait)
            if problem:
                raise CommandLineError(problem, 1)
        report.start()
        if options.no_web:
            try:
                cli_v2.start_test(runner, num_clients, options.hatch_rate)  # a shape, or -u/-r
            except UserCountError as exc:  # more users than the slaves can run
                raise CommandLineError(str(exc), 2) from None
            runner.wait()  # the signal handlers keep the hub from calling this a dead lock
        else:
            cli_v2.serve_until_quit(runner, options, num_clients)
    except KeyboardInterrupt:
        logger.info("Got an interrupt, stopping")
    except (CommandLineError, cli_v2.UsageError):
        if children:
            processes.stop_slaves(children, timeout=0)
        raise
    finally:
        report.stop()
        monitor.stop()
    code = _shutdown(runner, report, environment)
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
        code = _main(args)
        # The interpreter's last garbage collection walks every object of the
        # run: with 100,000 users it took 4.8 s after the summary (0.1 s
        # frozen, measured). Nothing of ours needs it; atexit handlers still run.
        gc.freeze()
        sys.exit(code)
    except CommandLineError as exc:
        sys.stderr.write("locust: error: %s\n" % exc)
        sys.stderr.flush()
        sys.exit(exc.exit_code)
    except cli_v2.UsageError as exc:
        for line in exc.lines:
            sys.stderr.write("locust: error: %s\n" % line)
        sys.stderr.flush()
        sys.exit(exc.exit_code)


def _not_found(name):
    """The one line for a locustfile that is not there, naming where we looked."""
    names = [name] if name.endswith(".py") else [name + ".py", name]
    if os.path.dirname(name):
        looked = " or ".join(os.path.abspath(os.path.expanduser(n)) for n in names)
    else:
        looked = "%s in %s and the directories above it" % (" or ".join(names), os.getcwd())
    return ("Could not find any locustfile! Looked for %s. Give its path with -f FILE "
            "(a .py file or a package directory); see --help" % looked)


def _thresholds(options, modules):
    """The thresholds of the options and the locustfile(s), parsed (CommandLineError 2)."""
    try:
        expressions = list(options.thresholds or ())
        for module in modules:
            expressions += thresholds.find_in_module(module)
        return thresholds.parse_all(expressions)
    except thresholds.ThresholdError as exc:
        source = options._sources.get("thresholds")
        where = "" if source in (None, "command line") else "%s: " % source
        raise CommandLineError(where + str(exc), 2) from None


def _main(args):
    args = sys.argv[1:] if args is None else list(args)
    # First pass: what is needed to find and import the locustfile. Options
    # and configuration keys the locustfile adds are checked after it.
    _parser, options, names = parse_options(args, strict=False)
    setup_logging(options.loglevel, options.logfile)
    if options.processes and not options.slave and not options.master:
        # A standalone helper master for local slaves only: loopback, free ports.
        options.master = True
        options.master_bind_host = "127.0.0.1"
        options.master_bind_port = 0
    select_runner_class(options)  # fail early for a bad role

    # -f a.py,b.py: several locustfiles (2.x), their classes offered together.
    paths = []
    for name in (n.strip() for n in options.locustfile.split(",")):
        found = find_locustfile(name) if name else None
        if found is None:
            raise CommandLineError(_not_found(name or options.locustfile), 1)
        paths.append(found)
    path = ",".join(paths)

    # Before the locustfile is imported, so that the clients it imports
    # (xmlrpc.client, smtplib, ...) get cooperative sockets and sleep.
    from .engine import monkey
    monkey.patch_all()

    try:
        modules, available, shapes = load_locustfiles(paths)
    except LocustfileImportError as exc:
        if exc.brief:  # a misuse of Locust's API, or a name it does not have: one line
            raise CommandLineError(exc.brief, 1) from None
        sys.stderr.write(exc.text)
        raise CommandLineError("could not import the locustfile %s (see above)" % exc.path,
                               1) from None
    except LocustError as exc:
        raise CommandLineError(str(exc), 1) from None

    # Second pass, strict, with the options the locustfile's listeners add.
    options = _reparse(args, options)
    names = options.locust_classes
    checks = _thresholds(options, modules)

    if options.list_commands:
        print("Available Locusts:")
        for name in available:
            print("    " + name)
        return 0
    if not available:
        problems = [line for module in modules for line in unusable_classes(module)]
        raise cli_v2.UsageError(problems or [
            "No Locust class found! A locustfile needs a User/HttpUser subclass with tasks "
            "(or a Locust/HttpLocust subclass with a task_set)"])
    classes = cli_v2.prepare_classes(_select_classes(available, names), options)  # mix-ups, tags
    shape_class = cli_v2.pick_shape(shapes)

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
    return _run(options, classes, checks, shape_class, available)


def _reparse(args, first):
    """Parse again, strictly, after the locustfile's init_command_line_parser
    listeners added their options; keeps what the first pass decided."""
    parser = create_parser()
    hook = getattr(events, "init_command_line_parser", None)
    if hook is not None and len(hook):
        add_custom_group(parser)
        hook.fire(parser=parser)
        parser.custom_group = None
    _parser, options, _names = parse_options(args, parser=parser)
    # --processes without a role made this process a master (see _main).
    for name in ("master", "master_bind_host", "master_bind_port"):
        setattr(options, name, getattr(first, name))
    return options


if __name__ == "__main__":
    main()
