"""Locust: describe user behaviour in plain Python and swarm a system with it.

What a locustfile needs is importable from here, in either API::

    from locust import HttpLocust, TaskSet, task, events                  # 0.7
    from locust import HttpUser, task, between, events, LoadTestShape      # 2.x

``locust.web`` (the dashboard, which needs bottle) is imported only when it
is first asked for (``from locust import web`` or ``locust.web``), so that
importing locust stays light for slaves and scripts that never serve it;
``run_single_user`` (which needs the runners) likewise on first use.
"""

import importlib

# Set before the submodules are imported: some of them read it.
__version__ = "0.8.0.dev0"

from . import events
from .core import HttpLocust, Locust, TaskSet, task
from .exception import InterruptTaskSet, RescheduleTaskImmediately, ResponseError, StopLocust
from .shape import LoadTestShape
from .user import wait_time
from .user.sequential_taskset import SequentialTaskSet
from .user.task import tag
from .user.users import FastHttpUser, HttpUser, User
from .user.wait_time import between, constant, constant_pacing, constant_throughput

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
#: Names imported from a submodule on first use: (module, attribute).
_LAZY_NAMES = {"run_single_user": ("debug", "run_single_user")}


def __getattr__(name):
    """Import ``locust.web`` or ``run_single_user`` on first access (PEP 562);
    raises AttributeError otherwise."""
    if name in _LAZY_SUBMODULES:
        return importlib.import_module("." + name, __name__)
    if name in _LAZY_NAMES:
        module, attr = _LAZY_NAMES[name]
        return getattr(importlib.import_module("." + module, __name__), attr)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | set(_LAZY_NAMES))
