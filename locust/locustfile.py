"""Finding and importing a locustfile, and picking the Locust classes it offers."""

import importlib.util
import inspect
import os
import sys
import traceback

from .core import Locust

__all__ = ["find_locustfile", "is_locust", "LocustfileImportError", "load_locustfile"]


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


def is_locust(name, item):
    """True for a class a locustfile offers to run.

    A Locust subclass with a truthy ``task_set`` whose name does not start
    with "_" (base classes like HttpLocust itself have no task_set).
    """
    return (inspect.isclass(item) and issubclass(item, Locust)
            and bool(getattr(item, "task_set", None)) and not name.startswith("_"))


class LocustfileImportError(Exception):
    """The locustfile raised while being imported; ``text`` is its traceback."""

    def __init__(self, path, text):
        super().__init__("could not import %s" % path)
        self.path = path
        self.text = text


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
        raise LocustfileImportError(path, _own_traceback(exc, path)) from None
    classes = {k: v for k, v in vars(module).items() if is_locust(k, v)}
    return module, classes
