"""The ``locust`` command's options: the parser, its groups and value types.

:func:`create_parser` builds the parser. Options are in the groups of Locust
2.x's ``--help`` (common, web UI, distributed, tags, statistics and reports,
logging, thresholds, other); adding one is one ``add(...)`` line in its
group. Every option keeps its Locust 0.7 spelling beside the 2.x one
(``-c``/``-u``, ``--no-web``/``--headless``, ...), as synonyms of one
``dest``.

The parser is argparse with three additions:

- ``add_argument`` also takes Locust 2.x's keywords ``env_var=`` (another
  environment variable for the option), ``include_in_web_ui=``,
  ``is_secret=``, ``is_required=``, ``is_multiple=`` (kept on the action), and
  ``config=False`` for the few options that a configuration file or an
  environment variable must not set (``--help``, ``--list``, ...). Options
  added by a locustfile's ``init_command_line_parser`` listeners go to a
  group of their own.
- a usage error is one line; an unknown option says which known one it
  resembles ("did you mean --headless?").
- it records which options the command line itself set
  (:func:`command_line_dests`), so that configuration from files and
  environment variables (:mod:`locust.configuration`) ranks below it.
"""

import argparse
import difflib
import re
from urllib.parse import urlsplit

from . import __version__
from .runners import parse_timespan

__all__ = ["LocustArgumentParser", "create_parser", "add_custom_group", "command_line_dests",
           "EXIT_CODES_HELP",
           "non_negative_int", "positive_int", "positive_float", "timespan", "port"]

#: The exit statuses, for --help and the README.
EXIT_CODES_HELP = """\
Exit status:
  0  the run was clean
  1  a request failed, a task raised an exception, or users were started
     but no request was made (--exit-code-on-error N changes this 1)
  2  bad usage: an unknown option, a bad value, a bad threshold
  3  a threshold was crossed (see --threshold)"""

_EPILOG = """\
Examples:
  locust -f my_test.py -H https://www.example.com
  locust -f my_test.py --headless -u 100 -r 10 -t 5m --csv out --threshold 'p95<500ms'
  locust --master --headless -u 300 -r 30 -t 5m --expect-workers 4 -H http://target
  locust -f my_test.py --processes 4 --headless -u 300 -t 10m --json > stats.json

Configuration: every long option can also be set, in increasing precedence, in
~/.locust.conf, ./locust.conf, [tool.locust] of ./pyproject.toml, a file given
with --config FILE ("key = value" lines, booleans true/false, the long option
names as keys), in LOCUST_* environment variables (LOCUST_HEADLESS=true,
LOCUST_RUN_TIME=30s: the long name upper-cased, "-" as "_"), then on the
command line.

""" + EXIT_CODES_HELP


# ---------------------------------------------------------------- value types

def non_negative_int(text):
    """An int >= 0 (argparse type)."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError("invalid integer: %r" % text) from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative: %r" % text)
    return value


def positive_int(text):
    """An int > 0 (argparse type)."""
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0: %r" % text)
    return value


def positive_float(text):
    """A finite float > 0 (argparse type)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError("invalid number: %r" % text) from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number above 0: %r" % text)
    return value


def any_int(text):
    """Any int (argparse type), e.g. an exit status."""
    try:
        return int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError("invalid integer: %r" % text) from None


def timespan(text):
    """Seconds of a time span such as 30, 30s, 5m, 1h30m (argparse type)."""
    try:
        return parse_timespan(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def port(text):
    """A TCP port number, 0..65535 (argparse type)."""
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("not a port number: %r" % text)
    return value


def host_url(text):
    """The --host value: checked only for what would fail every request
    later (a port out of range); other kinds of hosts are for custom clients."""
    try:
        urlsplit(text).port  # noqa: B018 - the property raises for a bad port
    except ValueError:
        match = re.search(r":(\d+)", text.split("//", 1)[-1])
        shown = match.group(1) if match else "?"
        raise argparse.ArgumentTypeError(
            "the port %s of %r is out of range (0-65535)" % (shown, text)) from None
    return text


def loglevel(text):
    """A logging level name, upper-cased (argparse type)."""
    level = str(text).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise argparse.ArgumentTypeError(
            "unknown level %r (DEBUG, INFO, WARNING, ERROR or CRITICAL)" % text)
    return level


# -------------------------------------------------------------------- parser

_EXTRA_KEYWORDS = ("include_in_web_ui", "is_secret", "is_required", "is_multiple")
_RECORDING = {}


def _recording(action_class):
    """A subclass of ``action_class`` that notes its dest as set by the command line."""
    cls = _RECORDING.get(action_class)
    if cls is None:
        def __call__(self, parser, namespace, values, option_string=None):
            if option_string is None and not values:
                # argparse "calls" an empty positional list even when none was given.
                return action_class.__call__(self, parser, namespace, values, option_string)
            seen = namespace.__dict__.setdefault("_command_line", set())
            first = self.dest not in seen
            seen.add(self.dest)
            if first and isinstance(self, argparse._AppendAction):
                # A repeatable option given on the command line replaces the
                # configuration's list instead of adding to it.
                setattr(namespace, self.dest, None)
            action_class.__call__(self, parser, namespace, values, option_string)
        cls = _RECORDING[action_class] = type(action_class.__name__, (action_class,),
                                              {"__call__": __call__})
    return cls


class _AddsLocustArguments:
    """``add_argument`` with Locust 2.x's extra keywords (see the module docstring)."""

    def add_argument(self, *args, **kwargs):
        """As argparse's, plus ``env_var=``, ``config=`` and 2.x's web UI keywords;
        returns the action."""
        env_var = kwargs.pop("env_var", None)
        config = kwargs.pop("config", True)
        extras = {name: kwargs.pop(name) for name in _EXTRA_KEYWORDS if name in kwargs}
        target = getattr(self, "custom_group", None)
        if target is not None:
            return target.add_argument(*args, env_var=env_var, config=config, **extras, **kwargs)
        action_class = self._registry_get("action", kwargs.get("action"), kwargs.get("action"))
        if isinstance(action_class, type) and issubclass(action_class, argparse.Action):
            kwargs["action"] = _recording(action_class)
        action = super().add_argument(*args, **kwargs)
        action.env_var = env_var
        action.config = config and bool(action.option_strings)
        action.include_in_web_ui = extras.get("include_in_web_ui", True)
        for name in _EXTRA_KEYWORDS[1:]:
            setattr(action, name, extras.get(name, False))
        return action


class _Group(_AddsLocustArguments, argparse._ArgumentGroup):
    """An option group whose add_argument takes Locust's keywords."""


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions, but keeps text with line breaks (the epilog) as written."""

    def _fill_text(self, text, width, indent):
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class LocustArgumentParser(_AddsLocustArguments, argparse.ArgumentParser):
    """argparse for ``locust``: Locust 2.x's add_argument keywords, one-line
    errors with "did you mean", and the record of what the command line set."""

    #: When set, add_argument on the parser goes to this group (the options
    #: a locustfile adds through init_command_line_parser).
    custom_group = None

    def add_argument_group(self, *args, **kwargs):
        """As argparse's; the group's add_argument takes Locust's keywords."""
        group = _Group(self, *args, **kwargs)
        self._action_groups.append(group)
        return group

    def format_help(self):
        """As argparse's, with the positional class names after every option group."""
        groups = self._action_groups
        self._action_groups = [g for g in groups if g is not self._positionals] + [self._positionals]
        try:
            return super().format_help()
        finally:
            self._action_groups = groups

    def long_options(self):
        """Every ``--long`` option string (shown ones first)."""
        shown = [s for a in self._actions if a.help != argparse.SUPPRESS
                 for s in a.option_strings if s.startswith("--")]
        hidden = [s for a in self._actions if a.help == argparse.SUPPRESS
                  for s in a.option_strings if s.startswith("--")]
        return shown + hidden

    def suggest(self, word, candidates=None):
        """The known option closest to ``word``, or None."""
        candidates = self.long_options() if candidates is None else candidates
        found = difflib.get_close_matches(word.split("=", 1)[0], candidates, n=1, cutoff=0.6)
        return found[0] if found else None

    def error(self, message):
        """Exit 2 with one line; an unknown option gets a suggestion."""
        match = re.match(r"unrecognized arguments: (\S+)", message)
        if match and match.group(1).startswith("-"):
            suggestion = self.suggest(match.group(1))
            if suggestion:
                message += " (did you mean %s?)" % suggestion
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))

    def parse_known_args(self, args=None, namespace=None):
        """As argparse's; the namespace's ``_command_line`` set starts empty."""
        if namespace is not None:
            namespace._command_line = set()
        return super().parse_known_args(args, namespace)


def command_line_dests(options):
    """The dests the command line itself set (a set)."""
    return set(getattr(options, "_command_line", ()))


def create_parser():
    """The parser of the ``locust`` command, its options in Locust 2.x's groups."""
    parser = LocustArgumentParser(
        prog="locust", usage="locust [options] [LocustClass [LocustClass2 ...]]",
        description="Load-test a system with simulated users described in a locustfile.",
        epilog=_EPILOG, formatter_class=_Formatter)
    parser._optionals.title = "Common options"
    parser._positionals.title = "Locust classes"

    add = parser.add_argument
    add("-f", "--locustfile", default="locustfile", metavar="FILE",
        help="Python module file to import, e.g. '../other.py' (default: locustfile)")
    add("--config", default=None, metavar="FILE", config=False,
        help="Read options from this file too (over ./locust.conf and pyproject.toml)")
    add("-H", "--host", default=None, type=host_url, metavar="URL",
        help="Host to load test, e.g. http://10.21.32.33 (overrides every class's host)")
    add("-u", "--users", "-c", "--clients", dest="num_clients", type=non_negative_int,
        default=None, metavar="N",
        help="Number of users to simulate (default 1; with the web UI, the form's default)")
    add("-r", "--spawn-rate", "--hatch-rate", dest="hatch_rate", type=positive_float,
        default=1.0, metavar="RATE", help="Users started per second (default 1)")
    add("-t", "--run-time", dest="run_time", type=timespan, default=None, metavar="TIME",
        help="Stop after this time, e.g. 30 (seconds), 30s, 5m, 1h30m")
    add("-n", "--num-request", "--num-requests", dest="num_requests", type=positive_int,
        default=None, metavar="N", help="Stop after this many requests (successes + failures)")
    add("-l", "--list", dest="list_commands", action="store_true", config=False,
        help="List the Locust classes and exit")
    add("locust_classes", nargs="*", metavar="LocustClass",
        help="Locust classes to run (default: all)")

    web = parser.add_argument_group("Web UI options")
    add = web.add_argument
    add("--web-host", default="", metavar="HOST",
        help="Host to bind the web interface to (default: every interface)")
    add("-P", "--web-port", "--port", dest="web_port", type=port, default=8089, metavar="PORT",
        help="Port on which to run the web interface (default 8089)")
    add("--headless", "--no-web", dest="no_web", action="store_true",
        help="Start the test at once, without the web interface")
    add("--web-auth", default=None, metavar="USER:PASSWORD",
        help="Require HTTP basic authentication for the web interface")

    dist = parser.add_argument_group(
        "Distributed options", "One master splits the users over slaves (workers), "
        "on this machine (--processes) or others.")
    add = dist.add_argument
    add("--master", action="store_true", env_var="LOCUST_MODE_MASTER",
        help="Run as the master of a distributed test")
    add("--worker", "--slave", dest="slave", action="store_true", env_var="LOCUST_MODE_WORKER",
        help="Run as a slave (worker) of a distributed test")
    add("--processes", type=non_negative_int, default=None, metavar="N",
        help="Start N slave processes on this machine; this process is their master "
             "(or, with --worker, only supervises them); 0: none")
    add("--master-host", default="127.0.0.1", env_var="LOCUST_MASTER_NODE_HOST", metavar="HOST",
        help="Host of the master, for a slave (default 127.0.0.1)")
    add("--master-port", type=port, default=5557, env_var="LOCUST_MASTER_NODE_PORT", metavar="PORT",
        help="Port of the master, for a slave; port+1 is used too (default 5557)")
    add("--master-bind-host", default="*", metavar="HOST",
        help="Interface the master binds to (default *: all)")
    add("--master-bind-port", type=port, default=5557, metavar="PORT",
        help="Port the master binds; port+1 is used too (default 5557)")
    add("--expect-workers", "--expect-slaves", dest="expect_slaves", type=positive_int,
        default=None, metavar="N",
        help="Headless master: wait for N slaves before starting (default 1, or --processes)")
    add("--expect-workers-max-wait", "--expect-slaves-max-wait", dest="expect_slaves_max_wait",
        type=positive_float, default=None, metavar="SECONDS",
        help="Headless master: exit (status 1) if the slaves have not all connected after "
             "SECONDS (default: wait as long as it takes)")
    add("--heartbeat-interval", type=positive_float, default=None, metavar="SECONDS",
        help="Seconds between heartbeats of master and slaves (default 1); a peer "
             "silent for 3 intervals is missing")
    add("--worker-exit-timeout", "--slave-exit-timeout", dest="slave_exit_timeout",
        type=positive_float, default=None, metavar="SECONDS",
        help="A slave exits after this many seconds without its master (default: "
             "it waits for the master to come back)")

    # Shown once it has options (a group without any is left out of --help).
    parser.add_argument_group("Tag options")

    stats = parser.add_argument_group("Statistics and report options")
    add = stats.add_argument
    add("--csv", dest="csv_prefix", default=None, metavar="PREFIX",
        help="Write the statistics to PREFIX_stats.csv, PREFIX_stats_history.csv (Locust 2.x's "
             "layout), PREFIX_requests.csv, PREFIX_distribution.csv (0.7's), "
             "PREFIX_failures.csv and PREFIX_exceptions.csv, every 2 s and at the end")
    add("--csv-full-history", dest="stats_history_enabled", action="store_true",
        help="Also a row per request name (not only the total) in PREFIX_stats_history.csv "
             "every 2 s; needs --csv")
    add("--print-stats", action="store_true", help="Print the statistics table while the web UI runs")
    add("--only-summary", action="store_true", help="Print only the final summary, no periodic table")
    add("--reset-stats", action="store_true",
        help="Reset the statistics when all users are hatched (default: keep everything)")
    add("--json", action="store_true",
        help="Print the final statistics as JSON on stdout (the tables go to stderr)")
    add("--json-file", default=None, metavar="FILE",
        help="Write the final statistics as JSON to FILE (.json is added when missing)")

    logs = parser.add_argument_group("Logging options")
    add = logs.add_argument
    add("-L", "--loglevel", default="INFO", type=loglevel, metavar="LEVEL",
        help="DEBUG, INFO, WARNING, ERROR or CRITICAL (default INFO)")
    add("--logfile", default=None, metavar="FILE", help="Write the log to this file instead of stderr")

    slo = parser.add_argument_group(
        "Threshold options",
        "A threshold is [NAME:]METRIC OP NUMBER[ms|s|%]: METRIC one of p50 p75 p90 p95 p99 "
        "p99.9 avg max (response times, ms), fail_ratio, rps, requests; OP one of < <= > >=; "
        "NAME a request name (\"GET /login\" or \"/login\"), the total when absent. E.g. "
        "'p95<500ms', 'fail_ratio<1%', 'GET /login:p99<800', 'rps>=200'. A crossed threshold "
        "gives exit status 3.")
    add = slo.add_argument
    add("--threshold", dest="thresholds", action="append", default=None, metavar="EXPR",
        help="A threshold the run must meet; repeatable (also a module-level "
             "thresholds = [...] in the locustfile)")
    add("--threshold-abort", action="store_true",
        help="Stop the run as soon as a threshold that can no longer pass is crossed "
             "(fail_ratio, max, requests; checked every 2 s)")

    other = parser.add_argument_group("Other options")
    add = other.add_argument
    add("--show-task-ratio", action="store_true", config=False, help="Print the task ratios and exit")
    add("--show-task-ratio-json", action="store_true", config=False,
        help="Print the task ratios as JSON and exit")
    add("--exit-code-on-error", type=any_int, default=1, metavar="N",
        help="Exit status when a request failed or a task raised (default 1)")
    add("-V", "--version", action="version", version="Locust %s" % __version__, config=False)

    parser.custom_group = None
    return parser


def add_custom_group(parser):
    """Route the parser's add_argument to a "Custom options" group (for a
    locustfile's init_command_line_parser listeners); returns the group."""
    group = parser.add_argument_group(
        "Custom options", "Options added by the locustfile.")
    parser.custom_group = group
    return group
