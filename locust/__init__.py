"""Locust: describe user behaviour in plain Python and swarm a system with it.

What a locustfile needs is importable from here, in either API::

    from locust import HttpLocust, TaskSet, task, events                  # 0.7
    from locust import HttpUser, task, between, events, LoadTestShape      # 2.x

``locust.web`` (the dashboard, which needs bottle) is imported only when it
is first asked for (``from locust import web`` or ``locust.web``), so that
importing locust stays light for slaves and scripts that never serve it.
The 2.x names (``HttpUser``, ``between``, ``LoadTestShape``,
``run_single_user``, ...) are imported on first use too: a 0.7 locustfile
never loads them.
"""

import importlib

from . import events
from ._version import __version__ as __version__
from .core import HttpLocust, Locust, TaskSet, task
from .exception import InterruptTaskSet, RescheduleTaskImmediately, ResponseError, StopLocust

# ``web`` is deliberately left out: ``from locust import *`` in a locustfile
# should not import bottle.  Import it by name.
__all__ = [
    "Locust", "HttpLocust", "TaskSet", "task", "events",
    "InterruptTaskSet", "StopLocust", "ResponseError", "RescheduleTaskImmediately",
    "User", "HttpUser", "FastHttpUser", "SequentialTaskSet", "tag", "wait_time",
    "between", "constant", "constant_pacing", "constant_throughput",
    "LoadTestShape", "run_single_user",
]

_LAZY_SUBMODULES = ("web",)
#: Names imported from a submodule on first use: name -> (module, attribute or None).
_LAZY_NAMES = {
    "User": ("user.users", "User"), "HttpUser": ("user.users", "HttpUser"),
    "FastHttpUser": ("user.users", "FastHttpUser"),
    "SequentialTaskSet": ("user.sequential_taskset", "SequentialTaskSet"),
    "tag": ("user.task", "tag"), "wait_time": ("user.wait_time", None),
    "between": ("user.wait_time", "between"), "constant": ("user.wait_time", "constant"),
    "constant_pacing": ("user.wait_time", "constant_pacing"),
    "constant_throughput": ("user.wait_time", "constant_throughput"),
    "LoadTestShape": ("shape", "LoadTestShape"), "run_single_user": ("debug", "run_single_user"),
    # The fast client adds ~40 ms to `import locust` (measured; http.cookiejar
    # alone pulls in urllib.request and http.client): loaded when used.
    "FastHttpLocust": ("contrib.fasthttp", "FastHttpLocust"),
}


def __getattr__(name):
    """Import ``locust.web`` and the 2.x names on first access (PEP 562);
    raises AttributeError otherwise."""
    if name in _LAZY_SUBMODULES:
        return importlib.import_module("." + name, __name__)
    if name in _LAZY_NAMES:
        module_name, attr = _LAZY_NAMES[name]
        module = importlib.import_module("." + module_name, __name__)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value  # once: later lookups are plain attribute reads
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | set(_LAZY_NAMES))
