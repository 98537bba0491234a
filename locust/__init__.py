"""Locust: describe user behaviour in plain Python and swarm a system with it.

What a locustfile needs is importable from here::

    from locust import HttpLocust, TaskSet, task, events

``locust.web`` (the dashboard, which needs bottle) is imported only when it
is first asked for (``from locust import web`` or ``locust.web``), so that
importing locust stays light for slaves and scripts that never serve it.
"""

import importlib

# Set before the submodules are imported: some of them read it.
__version__ = "0.8.0.dev0"

from . import events
from .core import HttpLocust, Locust, TaskSet, task
from .exception import InterruptTaskSet, RescheduleTaskImmediately, ResponseError, StopLocust

# ``web`` is deliberately left out: ``from locust import *`` in a locustfile
# should not import bottle.  Import it by name.
__all__ = [
    "Locust", "HttpLocust", "TaskSet", "task", "events",
    "InterruptTaskSet", "StopLocust", "ResponseError", "RescheduleTaskImmediately",
]

_LAZY_SUBMODULES = ("web",)
#: Imported on first use: the fast client adds ~40 ms to `import locust` (measured;
#: http.cookiejar alone pulls in urllib.request and http.client).
_LAZY_NAMES = {"FastHttpLocust": ".contrib.fasthttp"}


def __getattr__(name):
    """Import ``locust.web`` or ``FastHttpLocust`` on first access (PEP 562);
    raises AttributeError otherwise."""
    if name in _LAZY_SUBMODULES:
        return importlib.import_module("." + name, __name__)
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES) | set(_LAZY_NAMES))
