"""Options from configuration files and ``LOCUST_*`` environment variables.

The files, keys and precedence are Locust 2.x's. In increasing precedence:
``~/.locust.conf``, ``./locust.conf``, the ``[tool.locust]`` table of
``./pyproject.toml``, the file named by ``--config FILE``, environment
variables, then the command line. A higher source replaces an option's
value whole (a list too: ``--threshold`` on the command line replaces the
thresholds of a file, it does not add to them).

- Keys are the long option names without ``--`` (either spelling:
  ``users`` or ``clients``, ``headless`` or ``no-web``; ``_`` for ``-`` is
  accepted too). A ``.conf`` line is ``key = value`` (or ``key: value``,
  ``key value``, a bare ``key`` for true); ``#`` and ``;`` start comments,
  ``[section]`` lines are ignored. Booleans are true/false (yes/no, on/off,
  1/0); lists are ``[a, b]``, and a repeatable option's key may repeat.
- Environment variables are ``LOCUST_`` + a long name upper-cased with
  ``-`` as ``_`` (``LOCUST_RUN_TIME=30s``, ``LOCUST_HEADLESS=true``), and
  those Locust 2.x gave some options (``LOCUST_MODE_MASTER``,
  ``LOCUST_MASTER_NODE_HOST``, ...), and any ``env_var=`` of an option a
  locustfile adds. Unknown ``LOCUST_*`` variables are left alone (they may
  be meant for the locustfile itself).
- ``--master`` and ``--worker`` are one choice: a source that sets one
  clears the other from the sources below it (so ``master = true`` in a
  ``locust.conf`` does not collide with the ``--worker`` of the processes
  ``--processes`` starts).

Bad input raises :class:`ConfigError` whose text is one line naming the
file (or variable), the key and the value: an unknown key, a value of the
wrong type, a file that cannot be read.

Parsing the values ourselves (instead of ConfigArgParse, which turns every
file and variable into extra command-line words) is what lets an error name
its file or variable, a ``false`` in a higher source switch off a ``true``
from a lower one, and one option have several variable names.
"""

import argparse
import difflib
import json
import os
import re

__all__ = ["ConfigError", "DEFAULT_CONFIG_FILES", "resolve", "env_names", "config_keys"]

#: The configuration files read by default, lowest precedence first.
DEFAULT_CONFIG_FILES = ("~/.locust.conf", "locust.conf", "pyproject.toml")

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_NOT_CONFIGURABLE = (argparse._HelpAction, argparse._VersionAction)


class ConfigError(Exception):
    """A configuration file or variable that cannot be used; ``str()`` is one line."""

    exit_code = 2


def _configurable(action):
    return (getattr(action, "config", True) and action.option_strings
            and not isinstance(action, _NOT_CONFIGURABLE))


def config_keys(action):
    """The keys a file may set ``action`` with: its long names without ``--``."""
    return [s[2:] for s in action.option_strings if s.startswith("--")]


def env_names(action):
    """The environment variables that set ``action``."""
    names = ["LOCUST_" + key.upper().replace("-", "_") for key in config_keys(action)]
    extra = getattr(action, "env_var", None)
    if extra and extra not in names:
        names.append(extra)
    return names


# -------------------------------------------------------------- the files

_LINE = re.compile(r"^(?P<key>[^\s=:]+)\s*(?:[=:]\s*|\s+)?(?P<value>.*?)$")


def _unquote(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _list_value(text):
    """``[a, b]`` (or JSON) as a list of str; anything else as it is."""
    if text.startswith("[") and text.endswith("]"):
        try:
            value = json.loads(text)
            if isinstance(value, list):
                return [str(item) for item in value]
        except ValueError:
            pass
        inner = text[1:-1].strip()
        return [_unquote(item.strip()) for item in inner.split(",")] if inner else []
    return text


def read_conf(path):
    """The (key, value, line number) items of a ``.conf`` file; value a str or list.

    Raises OSError if the file cannot be read.
    """
    items = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = re.sub(r"\s[#;].*$", "", line).strip()
            if not line or line[0] in "#;[" or line.startswith("---"):
                continue
            match = _LINE.match(line)
            key = match.group("key").lstrip("-")
            value = match.group("value").strip()
            if value == "" and not re.search(r"[=:]", line[len(match.group("key")):]):
                value = "true"  # a bare key switches a flag on
            items.append((key, _list_value(_unquote(value)), number))
    return items


def _toml():
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    return tomllib


def read_pyproject(path):
    """The (key, value, None) items of ``[tool.locust]`` in a pyproject.toml.

    Values are str (booleans as "true"/"false") or lists of str. Raises
    OSError if unreadable, ConfigError if not TOML.
    """
    tomllib = _toml()
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("%s: not valid TOML: %s" % (path, exc)) from None
    table = data.get("tool", {}).get("locust", {})
    items = []
    for key, value in table.items():
        if isinstance(value, dict):
            raise ConfigError("%s: [tool.locust] %s: a table is not an option value" % (path, key))
        value = [_toml_text(v) for v in value] if isinstance(value, list) else _toml_text(value)
        items.append((key, value, None))
    return items


def _toml_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ------------------------------------------------------------- the values

def _convert_one(action, text):
    value = text
    if action.type is not None:
        try:
            value = action.type(text)
        except argparse.ArgumentTypeError as exc:
            raise ValueError(str(exc)) from None
        except (TypeError, ValueError):
            name = getattr(action.type, "__name__", repr(action.type))
            raise ValueError("invalid %s value" % name) from None
    if action.choices is not None and value not in action.choices:
        raise ValueError("not one of %s" % ", ".join(map(str, action.choices)))
    return value


def convert(action, raw):
    """The value of ``action`` from a file's or variable's ``raw`` (str or
    list of str). Raises ValueError (its text says why) for a bad value."""
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        text = raw.strip().lower() if isinstance(raw, str) else None
        if text not in _TRUE + _FALSE:
            raise ValueError("expected true or false")
        value = text in _TRUE
        return value if isinstance(action, argparse._StoreTrueAction) else not value
    if isinstance(action, argparse._StoreConstAction):
        text = raw.strip().lower() if isinstance(raw, str) else None
        if text not in _TRUE + _FALSE:
            raise ValueError("expected true or false")
        return action.const if text in _TRUE else action.default
    many = isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+") or (
        isinstance(action.nargs, int) and action.nargs > 1)
    if many:
        if isinstance(raw, str):
            raw = _list_value(raw)
            if isinstance(raw, str):
                # A repeatable option takes the text whole (an expression
                # may hold spaces); a list option splits it.
                raw = [raw] if isinstance(action, argparse._AppendAction) else \
                    [item for item in re.split(r"[\s,]+", raw) if item]
        return [_convert_one(action, item) for item in raw]
    if not isinstance(raw, str):
        raise ValueError("expected one value, not a list")
    return _convert_one(action, raw)


class _Layers:
    """Values by dest, each from the highest source that set it."""

    def __init__(self):
        self.values = {}
        self.sources = {}

    def set(self, action, value, source):
        self.values[action.dest] = value
        self.sources[action.dest] = source
        other = {"master": "slave", "slave": "master"}.get(action.dest)
        if other and value is True and self.values.get(other) is True:
            self.values[other] = False
            self.sources[other] = source


def _describe(value):
    return json.dumps(value) if isinstance(value, list) else value


def _key_table(parser):
    table = {}
    for action in parser._actions:
        if _configurable(action):
            for key in config_keys(action):
                table[key] = action
    return table


def _read_file(path, layers, table, strict):
    label = os.path.basename(path) if os.path.dirname(path) in ("", ".") else path
    reader = read_pyproject if path.endswith(".toml") else read_conf
    try:
        items = reader(path)
    except OSError as exc:
        raise ConfigError("could not read the configuration file %s: %s" % (
            path, exc.strerror or exc)) from None
    except UnicodeDecodeError:
        raise ConfigError("could not read the configuration file %s: not UTF-8 text" % path) from None
    repeated = {}
    for key, raw, number in items:
        where = "%s:%d" % (label, number) if number else label
        action = table.get(key) or table.get(key.replace("_", "-"))
        if action is None:
            if not strict:
                continue
            close = difflib.get_close_matches(key, list(table), n=1)
            hint = " (did you mean %s?)" % close[0] if close else ""
            raise ConfigError("%s: unknown key %r (%s = %s)%s" % (
                where, key, key, _describe(raw), hint))
        try:
            value = convert(action, raw)
        except ValueError as exc:
            raise ConfigError("%s: bad value for %s: %s = %s: %s" % (
                where, key, key, _describe(raw), exc)) from None
        if isinstance(action, argparse._AppendAction) and action.dest in repeated:
            value = repeated[action.dest] + value  # a repeated key adds, within one file
        repeated[action.dest] = value
        layers.set(action, value, label)


def _read_environ(parser, environ, layers):
    for action in parser._actions:
        if not _configurable(action):
            continue
        found = [(name, environ[name]) for name in env_names(action) if name in environ]
        if not found:
            continue
        if len({value for _name, value in found}) > 1:
            raise ConfigError("environment variables %s set the same option differently" % (
                " and ".join("%s=%r" % item for item in found)))
        name, raw = found[0]
        if raw == "" and not isinstance(action, (argparse._StoreTrueAction,
                                                 argparse._StoreFalseAction)):
            continue  # an empty variable means "not set", as in 2.x
        try:
            value = convert(action, raw)
        except ValueError as exc:
            raise ConfigError("bad value in the environment variable %s=%r: %s" % (
                name, raw, exc)) from None
        layers.set(action, value, name)


def _config_option(args):
    """The --config FILE of the command line ``args``, or None."""
    scan = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    scan.add_argument("--config", default=None)
    known, _rest = scan.parse_known_args(args)
    return known.config


def config_files(args, cwd=None, home=None):
    """The configuration files to read for ``args``, lowest precedence first.

    The default ones only if they exist; the --config one always (a missing
    one is an error when read).
    """
    cwd = cwd or os.getcwd()
    paths = []
    for name in DEFAULT_CONFIG_FILES:
        if name.startswith("~"):
            path = os.path.join(home or os.path.expanduser("~"), name[2:])
        else:
            path = os.path.join(cwd, name)
        if os.path.isfile(path):
            paths.append(path if name.startswith("~") else name)
    chosen = _config_option(args)
    if chosen:
        paths.append(os.path.expanduser(chosen))
    return paths


def resolve(parser, args, environ=None, strict=True, cwd=None, home=None):
    """A Namespace of the options set by files and environment variables.

    Pass it to ``parser.parse_args(args, namespace)``: the command line then
    overrides it. ``_sources`` maps each dest set here to where it came from
    (a file name or a variable). With ``strict`` false, unknown keys are
    skipped (the locustfile may add them later). Raises ConfigError.
    """
    environ = os.environ if environ is None else environ
    layers = _Layers()
    table = _key_table(parser)
    for path in config_files(args, cwd, home):
        _read_file(path, layers, table, strict)
    _read_environ(parser, environ, layers)
    namespace = argparse.Namespace(**layers.values)
    namespace._sources = dict(layers.sources)
    return namespace
