"""The 2.x user classes: ``User``, ``HttpUser``, ``FastHttpUser``.

A :class:`User` is a :class:`locust.core.Locust` (so the runners, the
statistics and the 0.7 API treat both alike) that runs the tasks declared
on its own class: ``@task`` methods, or a ``tasks`` list or dict of
functions and TaskSet classes. It waits ``wait_time`` seconds between tasks
(none by default), is created with its environment
(``User(environment)``), and calls ``on_start`` / ``on_stop`` around its
life. ``abstract = True`` marks a base class that is never run; every
subclass that does not say so is concrete. ``weight`` (default 1) and
``fixed_count`` decide how many users of each class start.

:func:`check_user_class` is the place that tells a 2.x class using a 0.7
attribute (``task_set``, ``min_wait``/``max_wait``) what to write instead.
"""

import logging

from .. import events
from .._fasthttp.mixin import FastHttpMixin
from ..core import HttpLocust, Locust, TaskSet, TaskSetMeta
from ..engine import GreenletExit
from ..exception import LocustError, StopLocust, StopTest
from .task import DefaultTaskSet, no_tasks_message
from .wait_time import constant

__all__ = ["User", "HttpUser", "FastHttpUser", "UserMeta", "check_user_class"]

log = logging.getLogger(__name__)


class UserMeta(type):
    """Resolves a user class's ``tasks`` (as TaskSetMeta does) and its ``abstract`` flag."""

    def __new__(mcs, classname, bases, namespace):
        # The same resolution as a TaskSet's: weights become repeats.
        namespace["tasks"] = _resolve(bases, namespace, classname)
        namespace.setdefault("abstract", False)
        return super().__new__(mcs, classname, bases, namespace)


def _declares_task(item):
    if isinstance(item, type):
        return "locust_task_weight" in vars(item)
    return hasattr(item, "locust_task_weight")


def _resolve(bases, namespace, classname):
    # Reuse TaskSetMeta's rules through a throwaway TaskSet subclass whose
    # body is this class's tasks and @task items, on top of the bases' lists.
    body = {k: v for k, v in namespace.items() if _declares_task(v)}
    if namespace.get("tasks") is not None:
        body["tasks"] = namespace["tasks"]
    body["__module__"] = namespace.get("__module__")
    resolved = TaskSetMeta(classname, (TaskSet,), body).tasks
    inherited = []
    for base in bases:
        inherited.extend(getattr(base, "tasks", None) or ())
    return inherited + resolved


class User(Locust, metaclass=UserMeta):
    """A simulated user (2.x API): runs the tasks declared on its class.

    ::

        class MyUser(User):
            wait_time = between(1, 5)

            @task(3)
            def browse(self): ...

            @task
            class Checkout(TaskSet): ...

    ``environment`` is the :class:`~locust.env.Environment` it runs in. A
    subclass that overrides ``__init__`` must call
    ``super().__init__(environment)``.
    """

    #: Seconds between tasks: a callable taking the user (default: no wait).
    wait_time = constant(0)
    #: Tasks declared on the class; resolved to a list with repeats.
    tasks = []
    #: Relative share of the users started from this class.
    weight = 1
    #: If > 0: exactly this many users of this class start, before the weighted ones.
    fixed_count = 0
    #: A base class that is never run itself.
    abstract = True
    #: The 0.7 attributes, unused here (see check_user_class).
    min_wait = None
    max_wait = None

    def __init__(self, environment=None):
        super().__init__()
        self.environment = environment

    @property
    def _catch_exceptions(self):
        env = self.environment
        return True if env is None else getattr(env, "catch_exceptions", True)

    def on_start(self):
        """Called when the user starts running; override it."""

    def on_stop(self):
        """Called when the user stops (its tasks ended, it was stopped or killed); override it."""

    def run(self):
        """Call ``on_start``, then run the tasks until the user stops; then ``on_stop``.

        ``StopUser`` (``StopLocust``) ends the user quietly; a kill
        (``GreenletExit``) runs ``on_stop`` and propagates; ``StopTest``
        runs ``on_stop`` and propagates (the runner ends the test).
        """
        self._taskset_instance = DefaultTaskSet(self)
        try:
            self.on_start()
            self._taskset_instance.run()
        except StopLocust:
            self._stopped()
        except (GreenletExit, StopTest):
            self._stopped()
            raise

    def _stopped(self):
        try:
            self.on_stop()
        except (StopLocust, StopTest):
            pass
        except Exception:
            log.exception("Unhandled exception in on_stop of %s", type(self).__name__)

    def wait(self):
        """Sleep the user's wait time now (e.g. in the middle of a task)."""
        self._taskset_instance.wait()

    def context(self):
        """Extra context for the ``request`` event of this user's requests; override it."""
        return {}

    @classmethod
    def json(cls):
        """The class's settings, as the class picker shows them."""
        return {"host": cls.host, "weight": cls.weight, "fixed_count": cls.fixed_count,
                "tasks": sorted({getattr(t, "__name__", repr(t)) for t in cls.tasks})}

    @classmethod
    def fullname(cls):
        """``package.module.ClassName``."""
        return "%s.%s" % (cls.__module__, cls.__qualname__.replace("<locals>.", ""))


def _require_host(user):
    if user.host is None:
        raise LocustError(
            "You must specify the base host. Either in the host attribute in the User class, "
            "or on the command line using the --host option.")


def _new_http_session(user):
    """The client of an HttpUser: the one place that creates it."""
    from ..clients import HttpSession  # imported on first use: importing locust stays light
    # The global events.request: the session reports to both APIs' listeners,
    # with the user's context(), and at the 0.7 pair's cost while nobody
    # listens to the 2.x hook.
    return HttpSession(user.host, request_event=events.request, user=user)


class HttpUser(User):
    """A user with an HTTP client, ``self.client`` (an :class:`~locust.clients.HttpSession`).

    The client keeps cookies and connections between requests and reports
    every request to the statistics. Raises LocustError at creation when
    there is no host (the class's ``host`` or ``--host``).
    """

    abstract = True
    #: Marks classes whose host must be an http(s) URL (checked at start-up).
    _needs_http_host = True

    def __init__(self, environment=None):
        super().__init__(environment)
        _require_host(self)
        self.client = _new_http_session(self)


class FastHttpUser(FastHttpMixin, User):
    """A user whose ``client`` is a :class:`~locust.contrib.fasthttp.FastHttpSession` (2.x).

    The fast client of our own (HTTP/1.1 on the engine's sockets): the same
    request API as HttpUser's client, plus ``rest()``/``rest_()`` on the user
    and the client. Its settings are class attributes, as in 2.x
    (``network_timeout``, ``connection_timeout``, ``max_redirects``,
    ``max_retries``, ``insecure``, ``concurrency``, ``default_headers``,
    ``client_pool``, ``ssl_context_factory``, ``proxy_host``, ``proxy_port``).
    Raises LocustError at creation when there is no host.
    """

    abstract = True
    _needs_http_host = True

    def __init__(self, environment=None):
        super().__init__(environment)
        _require_host(self)
        self.client = self._new_fast_client()

def check_user_class(cls):
    """Why ``cls`` cannot run, in one line, or None if it can.

    Covers a 2.x class given a 0.7-only attribute, a 0.7 class given tasks
    of its own instead of a task_set, and a class with nothing to run.
    """
    name = cls.__name__
    if issubclass(cls, User):
        if getattr(cls, "task_set", None) is not None:
            return ("%s is a 2.x user class (User/HttpUser): task_set is the 0.7 API; write "
                    "tasks = [%s] instead (or inherit from HttpLocust)"
                    % (name, getattr(cls.task_set, "__name__", "YourTaskSet")))
        if cls.min_wait is not None or cls.max_wait is not None:
            return ("%s is a 2.x user class (User/HttpUser): min_wait/max_wait (milliseconds) are "
                    "the 0.7 API; write wait_time = between(%s, %s) (seconds) instead "
                    "(or inherit from HttpLocust)"
                    % (name, _seconds(cls.min_wait), _seconds(cls.max_wait)))
        if not cls.tasks:
            return no_tasks_message(cls)
        return None
    if issubclass(cls, Locust):
        if cls.task_set is None:
            own = [k for k, v in vars(cls).items() if _declares_task(v)] or (
                ["tasks"] if vars(cls).get("tasks") else [])
            if own:
                base = "HttpUser" if issubclass(cls, HttpLocust) else "User"
                return ("%s is a 0.7 Locust class with tasks on the class itself (%s): inherit "
                        "from %s to run them (2.x API), or move them into a TaskSet and set "
                        "task_set" % (name, ", ".join(own), base))
            return ("%s has no task_set: set task_set = YourTaskSet (0.7 API), or inherit from "
                    "HttpUser/User and declare @task methods (2.x API)" % name)
        if not cls.task_set.tasks:
            return "No tasks defined in %s (the task_set of %s): use @task or set tasks" % (
                cls.task_set.__name__, name)
    return None


def _seconds(ms):
    if ms is None:
        return "?"
    value = ms / 1000.0
    return ("%g" % value)
