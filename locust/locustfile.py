"""Finding and importing a locustfile, and picking the user classes and the shape it offers.

A locustfile may be written for either API or mix them: it offers 0.7
``Locust`` classes with a ``task_set`` and 2.x ``User`` classes that are not
``abstract``. ``-f a.py,b.py`` imports several files (2.x); their classes
are offered together. :func:`unusable_classes` says, one line each, why
the user-like classes of a file that offers none cannot run, so that
"No Locust class found!" is only ever said of a file without any.
"""

import importlib.util
import inspect
import os
import re
import sys
import traceback

from .core import Locust, TaskSet
from .exception import LocustError
from .shape import LoadTestShape

__all__ = ["find_locustfile", "is_locust", "is_shape", "LocustfileImportError",
           "load_locustfile", "load_locustfiles", "unusable_classes"]


def find_locustfile(name):
    """The absolute path of the locustfile ``name``, or None.

    Without ``.py`` the ``.py`` form is tried too. A name with a directory
    is checked as given; a bare name is looked for in the current
    directory, then in each parent up to the root. Only ``.py`` files and
    package directories count.
    """
    names = [name] if name.endswith(".py") else [name, name + ".py"]

    def usable(path):
        return (os.path.isfile(path) and path.endswith(".py")) or \
            os.path.isfile(os.path.join(path, "__init__.py"))

    if os.path.dirname(name):
        for candidate in names:
            expanded = os.path.expanduser(candidate)
            if usable(expanded):
                return os.path.abspath(expanded)
        return None
    folder = os.getcwd()
    while True:
        for candidate in names:
            path = os.path.join(folder, candidate)
            if usable(path):
                return path
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _is_user_class(item):
    from .user.users import User
    return inspect.isclass(item) and issubclass(item, User)


def is_locust(name, item):
    """True for a class a locustfile offers to run.

    A 2.x User subclass that is not ``abstract`` (whatever its name, as in
    2.x); or a 0.7 Locust subclass with a truthy ``task_set`` whose name
    does not start with "_" (base classes like HttpLocust have no task_set).
    """
    if not inspect.isclass(item) or not issubclass(item, Locust):
        return False
    if _is_user_class(item):
        return not item.__dict__.get("abstract", False)
    return bool(getattr(item, "task_set", None)) and not name.startswith("_")


def is_shape(item):
    """True for a LoadTestShape subclass that is not ``abstract``."""
    return (inspect.isclass(item) and issubclass(item, LoadTestShape)
            and not item.__dict__.get("abstract", False))


def unusable_classes(module):
    """One line per class of ``module`` that looks meant to run but cannot.

    For a file that offers no user class: 0.7 Locust classes without a
    task_set, TaskSets with no user class to run them.
    """
    from .user.users import check_user_class
    problems = []
    for name, item in vars(module).items():
        if not inspect.isclass(item) or getattr(item, "__module__", None) != module.__name__:
            continue
        if issubclass(item, Locust) and not name.startswith("_"):
            problem = check_user_class(item)
            if problem:
                problems.append(problem)
        elif issubclass(item, TaskSet) and not name.startswith("_"):
            problems.append("%s is a TaskSet, and no user class runs it: add e.g. "
                            "class MyUser(HttpUser): tasks = [%s]" % (name, name))
    return problems


class LocustfileImportError(Exception):
    """The locustfile raised while being imported.

    ``text`` is its traceback; ``brief`` is set instead when one line says
    it all (a misuse of Locust's API, a name Locust does not have).
    """

    def __init__(self, path, text, brief=None):
        super().__init__("could not import %s" % path)
        self.path = path
        self.text = text
        self.brief = brief


_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '(locust[\w.]*)'")
_NO_MODULE = re.compile(r"No module named '((?:locust|gevent)[\w.]*)'")
#: What to write instead, for names other Locust versions have.
_RENAMED = {
    "StopUser": "StopUser (from locust.exception import StopUser)",
    "MarkovTaskSet": None, "transition": None, "transitions": None,
    "PytestUser": None,
}


def _import_hint(exc):
    """One line for an ImportError about locust's own names (or gevent), else None."""
    text = str(exc)
    match = _CANNOT_IMPORT.search(text)
    if match:
        name, module = match.groups()
        instead = _RENAMED.get(name, "")
        if instead:
            return "cannot import %r from %s: use %s" % (name, module, instead)
        return ("cannot import %r from %s: it is not part of this Locust, which runs the 0.7 "
                "API and the Locust 2.x user API (see the README, 'Coming from Locust 2.x')"
                % (name, module))
    match = _NO_MODULE.search(text)
    if match:
        module = match.group(1)
        if module.startswith("gevent"):
            return ("No module named %r: this Locust runs on its own engine, not gevent: "
                    "use locust.engine (spawn, spawn_later, sleep, Group, Timeout) instead"
                    % module)
        return ("No module named %r: not part of this Locust (see the README, 'Coming from "
                "Locust 2.x')" % module)
    return None


def _where(exc, path):
    """``file.py:LINE`` of the innermost frame of ``exc`` in the locustfile's folder."""
    folder = os.path.dirname(path) + os.sep
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith("<") and os.path.abspath(filename).startswith(folder):
            found = "%s:%d" % (os.path.basename(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found or os.path.basename(path)


def _own_traceback(exc, path):
    """The traceback of ``exc`` from the first frame in the locustfile's folder on.

    Drops this module's and importlib's frames, which say nothing about the
    user's error. A SyntaxError has no frame in the file: only its
    "file, line, caret" part is shown.
    """
    folder = os.path.dirname(path) + os.sep

    def in_folder(filename):
        # "<frozen importlib._bootstrap>" is not a path, though abspath() makes it one.
        return not filename.startswith("<") and os.path.abspath(filename).startswith(folder)

    tb = exc.__traceback__
    while tb is not None and not in_folder(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    if tb is None:
        return "".join(traceback.format_exception_only(type(exc), exc))
    return "".join(traceback.format_exception(type(exc), exc, tb))


def load_locustfile(path):
    """Import the locustfile at ``path``; returns (module, {name: Locust class}).

    Its folder goes first on sys.path (so it can import its neighbours).
    Classes are in definition order. Raises LocustfileImportError with the
    file's own traceback when importing it raises.
    """
    path = os.path.abspath(path)
    if os.path.isdir(path):
        folder = os.path.dirname(path)
        name = os.path.basename(path)
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(path, "__init__.py"), submodule_search_locations=[path])
    else:
        folder = os.path.dirname(path)
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    module = importlib.util.module_from_spec(spec)
    # Registered so that pickling, dataclasses and re-imports find it; a name
    # that is already taken (a stdlib module, "locust") is left alone.
    registered = name not in sys.modules
    if registered:
        sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        if registered:
            sys.modules.pop(name, None)
        brief = None
        if isinstance(exc, LocustError):
            brief = "%s: %s" % (_where(exc, path), exc)
        elif isinstance(exc, ImportError):
            hint = _import_hint(exc)
            if hint:
                brief = "%s: %s" % (_where(exc, path), hint)
        raise LocustfileImportError(path, _own_traceback(exc, path), brief) from None
    classes = {k: v for k, v in vars(module).items() if is_locust(k, v)}
    return module, classes


def load_locustfiles(paths):
    """Import each locustfile; returns (modules, {name: user class}, [shape classes]).

    Raises LocustfileImportError as :func:`load_locustfile` does, and
    LocustError when two files offer different classes of the same name.
    """
    modules, classes, shapes = [], {}, []
    for path in paths:
        module, found = load_locustfile(path)
        modules.append(module)
        for name, cls in found.items():
            if classes.get(name, cls) is not cls:
                raise LocustError("two user classes are named %s (in %s and %s)" % (
                    name, classes[name].__module__, cls.__module__))
            classes[name] = cls
        for item in vars(module).values():
            if is_shape(item) and item not in shapes:
                shapes.append(item)
    return modules, classes, shapes
