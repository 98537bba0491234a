"""The locustfile API: users (:class:`Locust`), their behaviour (:class:`TaskSet`)
and the :func:`task` decorator.

A :class:`Locust` instance is one simulated user.  Its ``run()`` instantiates
the class its ``task_set`` attribute points to and runs it: the TaskSet picks
one of its tasks at random (weighted), executes it, sleeps between
``min_wait`` and ``max_wait`` milliseconds, and again, until the user is
killed (the runner throws ``GreenletExit`` into it) or a task
raises :class:`~locust.exception.StopLocust`.

A task may itself be a TaskSet class.  Executing it hands control to a new
instance of that class until one of its tasks calls ``interrupt()``; the
parent then picks its next task, at once (``reschedule=True``) or after a
wait.  The hand-over is made of exceptions: ``interrupt()`` raises
:class:`InterruptTaskSet`, the nested ``run()`` turns it into
``RescheduleTaskImmediately`` or ``RescheduleTask`` for its parent's loop,
and when it reaches the root TaskSet it is a :class:`LocustError` naming both
classes, since the root TaskSet has no parent to hand control to.

The tasks of a TaskSet class are resolved once, when the class is created
(:class:`TaskSetMeta`), into a list in which a task of weight ``w`` appears
``w`` times, as Locust 0.7 did: ratios are exact and picking a task is one
``random.choice``.  Tasks are picked with the module :mod:`random`, so
``random.seed()`` makes a run reproducible; the waits go through
:meth:`TaskSet._sleep` and the stop timeout through :attr:`TaskSet._clock`,
both of which tests may replace.

The 2.x user API (:mod:`locust.user`) builds on these classes: ``User`` is
a ``Locust`` subclass and every 2.x TaskSet is a ``TaskSet``, so what a
TaskSet does here is shared by both APIs. The 2.x additions live here only
where the task loop needs them: ``on_stop``, ``wait_time`` (seconds, a
callable on the TaskSet or the user, taking precedence over
``min_wait``/``max_wait`` milliseconds), the per-user state a graceful stop
(``--stop-timeout``) and an iteration limit (``--iterations``) act on, and
``user`` as another name of ``locust``.
"""

import logging
import random
import time
from numbers import Integral

from . import events
from .engine import GreenletExit, sleep
from .exception import (
    InterruptTaskSet,
    LocustError,
    MissingWaitTimeError,
    RescheduleTask,
    RescheduleTaskImmediately,
    StopLocust,
    StopTest,
)

__all__ = ["Locust", "HttpLocust", "TaskSet", "TaskSetMeta", "task",
           "STATE_RUNNING", "STATE_WAITING", "STATE_STOPPING"]

#: A user's ``_state``: running a task, waiting between tasks, or asked to
#: stop after its current task (a graceful stop, an iteration limit).
STATE_RUNNING, STATE_WAITING, STATE_STOPPING = "running", "waiting", "stopping"

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# The task decorator
# ---------------------------------------------------------------------------

def task(weight=1):
    """Declare a method (or a nested TaskSet class) as a task of its TaskSet.

    Usable bare or with a weight::

        class ForumPage(TaskSet):
            @task(100)
            def read_thread(self):
                pass

            @task
            def create_thread(self):
                pass

    The weight is stored as ``locust_task_weight`` on the function or class,
    and :class:`TaskSetMeta` repeats the task that many times in ``tasks``.
    Raises LocustError (at class creation) for a weight that is not a
    non-negative int.
    """
    def decorator(func):
        func.locust_task_weight = weight
        return func

    if callable(weight):
        # Used bare (@task): ``weight`` is the decorated function itself.
        func, weight = weight, 1
        return decorator(func)
    return decorator


# ---------------------------------------------------------------------------
# Locust: one simulated user
# ---------------------------------------------------------------------------

class NoClientWarningRaiser:
    """The ``client`` of a plain :class:`Locust`: any use of it is an error.

    Raises LocustError on every attribute access, so that ``self.client.get(...)``
    in a user that has no client says why instead of an AttributeError on None.
    """

    __slots__ = ()

    def __getattr__(self, name):
        raise LocustError(
            "No client instantiated. Did you intend to inherit from HttpLocust?")

    def __repr__(self):
        return "<no client: inherit from HttpLocust or set self.client>"


class Locust:
    """Represents a "user" which is to be hatched and attack the system under test.

    The behaviour of this user is defined by the ``task_set`` attribute,
    which should point to a :class:`TaskSet` class.  This class should
    usually be subclassed by a class that defines some kind of client, e.g.
    :class:`HttpLocust` for HTTP systems; a subclass may set ``self.client``
    in its ``__init__`` after calling ``super().__init__()``.
    """

    #: Base URL of the system under test; ``--host`` overrides it.
    host = None
    #: Minimum waiting time between the execution of tasks, in milliseconds.
    min_wait = 1000
    #: Maximum waiting time between the execution of tasks, in milliseconds.
    max_wait = 1000
    #: TaskSet class that defines the execution behaviour of this user.
    task_set = None
    #: Seconds after which the user stops on its own (None: never).
    stop_timeout = None
    #: Relative probability of this class being chosen when users are hatched.
    weight = 10
    #: The client a task uses through ``self.client``; none for a plain Locust.
    client = NoClientWarningRaiser()
    #: Seconds between tasks (2.x): a callable taking the user, e.g.
    #: ``between(1, 5)``. When set it replaces ``min_wait``/``max_wait``.
    wait_time = None
    #: Users of this class started before the weighted ones, whatever
    #: their weight (2.x); 0: none.
    fixed_count = 0
    #: The :class:`~locust.env.Environment` this user runs in (set by the runner).
    environment = None

    #: When False, an exception in a task is still fired as ``locust_error``
    #: but then ends the user instead of being logged; useful when debugging.
    _catch_exceptions = True
    #: STATE_RUNNING, STATE_WAITING or STATE_STOPPING once running.
    _state = None
    #: Tasks this user may still run (``--iterations``); None: no limit.
    _iterations_left = None

    def __init__(self):
        super().__init__()

    def _task_done(self):
        """One more task finished: count it against ``--iterations``."""
        left = self._iterations_left - 1
        self._iterations_left = left
        if left <= 0:
            self._state = STATE_STOPPING

    def run(self):
        """Run this user's ``task_set`` until it stops; returns when it does.

        A :class:`StopLocust` raised by a task ends the user quietly;
        ``GreenletExit`` (the runner killing the user) propagates.  Raises
        LocustError when ``task_set`` is not set, or when ``interrupt()`` is
        called in the root TaskSet (which has no parent to hand control to).
        """
        task_set = self.task_set
        if task_set is None:
            raise LocustError(
                "%s has no task_set: set its task_set attribute to a TaskSet class"
                % type(self).__name__)
        try:
            task_set(self).run()
        except StopLocust:
            pass
        except (RescheduleTask, RescheduleTaskImmediately) as exc:
            raise LocustError(
                "interrupt() was called (or InterruptTaskSet raised) in the root "
                "TaskSet of %s: %s. interrupt() hands execution back to a parent "
                "TaskSet and must not be used in the TaskSet that a Locust class' "
                "task_set attribute points to."
                % (type(self).__name__, task_set.__name__)) from exc


class HttpLocust(Locust):
    """Represents an HTTP "user" which is to be hatched and attack the system under test.

    The behaviour of this user is defined by the ``task_set`` attribute,
    which should point to a :class:`TaskSet` class.  On instantiation it
    creates ``self.client``, an :class:`~locust.clients.HttpSession` on
    ``host`` that keeps cookies between requests.
    """

    #: Instance of HttpSession created when the user is instantiated.
    client = None
    #: Marks classes whose host must be an http(s) URL (checked at start-up).
    _needs_http_host = True

    def __init__(self):
        """Create the user and its HttpSession.

        Raises LocustError when ``host`` is None.
        """
        super().__init__()
        if self.host is None:
            raise LocustError(
                "You must specify the base host. Either in the host attribute in "
                "the Locust class, or on the command line using the --host option.")
        # Imported here so that importing locust does not import urllib3.
        from .clients import HttpSession
        self.client = HttpSession(base_url=self.host)


# ---------------------------------------------------------------------------
# TaskSet: the behaviour of a user
# ---------------------------------------------------------------------------

def _check_weight(weight, owner, item):
    if not isinstance(weight, Integral) or isinstance(weight, bool) or weight < 0:
        raise LocustError(
            "Task weight must be a non-negative int, got %r for %s in %s"
            % (weight, _task_name(item), owner))
    return int(weight)


def _task_name(item):
    return getattr(item, "__name__", repr(item))


def _resolve_tasks(tasks, owner):
    """Expand a ``tasks`` declaration into a list with repeats.

    Accepts a list of callables (weight 1 each), a ``{callable: weight}``
    dict, or a list whose items are callables or ``(callable, weight)``
    pairs.  Raises LocustError on anything else.
    """
    if isinstance(tasks, dict):
        items = list(tasks.items())
    elif isinstance(tasks, (list, tuple)):
        items = list(tasks)
    else:
        raise LocustError(
            "tasks of %s must be a list or a dict, got %s" % (owner, type(tasks).__name__))
    resolved = []
    for item in items:
        weight = 1
        if isinstance(item, tuple):
            if len(item) != 2:
                raise LocustError(
                    "tasks of %s: expected (callable, weight) pairs, got %r" % (owner, item))
            item, weight = item
            weight = _check_weight(weight, owner, item)
        if not callable(item):
            raise LocustError("tasks of %s: %r is not callable" % (owner, item))
        resolved.extend([item] * weight)
    return resolved


def _declares_task(item):
    # A class inherits ``locust_task_weight`` from a decorated base; only a
    # class decorated itself counts, or every subclass of a @task TaskSet
    # defined in a TaskSet body would silently become a task too.
    if isinstance(item, type):
        return "locust_task_weight" in vars(item)
    return hasattr(item, "locust_task_weight")


class TaskSetMeta(type):
    """Metaclass of :class:`TaskSet`: resolves ``tasks`` when a class is created.

    The resulting ``tasks`` is a list in which each task appears as many
    times as its weight, in this order: the tasks of the base classes (each
    direct base's resolved list, in the order the bases are listed), then the
    class's own ``tasks`` attribute, then its ``@task`` methods and classes in
    definition order.
    """

    def __new__(mcs, classname, bases, namespace):
        new_tasks = []
        for base in bases:
            if isinstance(base, TaskSetMeta):
                new_tasks.extend(base.tasks)
            elif getattr(base, "tasks", None):
                # A mixin that is not a TaskSet: resolve its declaration too.
                new_tasks.extend(_resolve_tasks(base.tasks, base.__name__))

        own = namespace.get("tasks")
        if own is not None:
            new_tasks.extend(_resolve_tasks(own, classname))

        for item in namespace.values():
            if _declares_task(item):
                weight = _check_weight(item.locust_task_weight, classname, item)
                new_tasks.extend([item] * weight)

        namespace["tasks"] = new_tasks
        return super().__new__(mcs, classname, bases, namespace)


class TaskSet(metaclass=TaskSetMeta):
    """Class defining a set of tasks that a Locust user will execute.

    When a TaskSet starts running, it picks a task from ``tasks``, executes
    it, then waits a random number of milliseconds between ``min_wait`` and
    ``max_wait``, then picks another task, and so on.

    TaskSets can be nested: a TaskSet class in ``tasks`` is instantiated with
    the running TaskSet as its parent and runs until it calls
    :meth:`interrupt`; execution then continues in the parent.

    ``parent`` is a Locust or TaskSet instance (a User, for the 2.x API);
    raises LocustError otherwise, or when ``min_wait`` is greater than
    ``max_wait``. ``on_start`` runs when the TaskSet starts and ``on_stop``
    when it is left (interrupted, or its user stops).
    """

    #: Tasks of this TaskSet: a list of callables, a ``{callable: weight}``
    #: dict or a list of ``(callable, weight)`` pairs.  After class creation
    #: it is a list in which each task appears as often as its weight.
    tasks = []
    #: Minimum wait between tasks in ms; falsy means the Locust's min_wait.
    min_wait = None
    #: Maximum wait between tasks in ms; falsy means the Locust's max_wait.
    max_wait = None
    #: The root Locust instance, once instantiated.
    locust = None
    #: The parent TaskSet instance (the Locust instance for a root TaskSet).
    parent = None

    #: Monotonic clock (seconds) that ``stop_timeout`` is measured with.
    _clock = staticmethod(time.monotonic)

    def __init__(self, parent):
        self._task_queue = []
        if isinstance(parent, TaskSet):
            self.locust = parent.locust
            # The user's stop_timeout counts from when the user started, not
            # from when this nested TaskSet was entered.
            self._time_start = parent._time_start
        elif isinstance(parent, Locust):
            self.locust = parent
            self._time_start = self._clock()
        else:
            raise LocustError(
                "TaskSet should be called with a Locust instance or a TaskSet "
                "instance as first argument, got %r" % (parent,))
        self.parent = parent
        self.args = ()
        self.kwargs = {}

        # Falsy (None, and 0 as in Locust 0.7) falls back to the user's wait.
        if not self.min_wait:
            self.min_wait = self.locust.min_wait
        if not self.max_wait:
            self.max_wait = self.locust.max_wait
        if self.min_wait is not None and self.max_wait is not None and self.min_wait > self.max_wait:
            raise LocustError(
                "%s: min_wait (%r) is greater than max_wait (%r)"
                % (type(self).__name__, self.min_wait, self.max_wait))

    @property
    def client(self):
        """Reference to the ``client`` attribute of the root Locust instance."""
        return self.locust.client

    @property
    def user(self):
        """The user (Locust or User instance) this TaskSet belongs to (2.x name of ``locust``)."""
        return self.locust

    def on_start(self):
        """Called when the user starts executing this TaskSet; override it."""

    def on_stop(self):
        """Called when the user leaves this TaskSet (interrupted or stopped); override it."""

    def _call_on_stop(self):
        # An error in on_stop must not hide why the TaskSet ended.
        try:
            self.on_stop()
        except (StopLocust, StopTest):
            pass
        except Exception:
            log.exception("Unhandled exception in on_stop of %s", type(self).__name__)

    # -- the loop ------------------------------------------------------------

    def run(self, *args, **kwargs):
        """Call ``on_start`` if defined, then execute tasks until interrupted.

        ``args`` and ``kwargs`` (given when the TaskSet is scheduled as a
        task with arguments) are kept as ``self.args`` and ``self.kwargs``.
        An exception raised by a task fires ``events.locust_error`` with this
        TaskSet as ``locust_instance``, is logged with its traceback, and
        the TaskSet waits and goes on.  Raises RescheduleTask or
        RescheduleTaskImmediately to its parent when interrupted;
        StopLocust and GreenletExit propagate; returns when the user's
        ``stop_timeout`` has passed.  Raises LocustError when there is no
        task to run.
        """
        self.args = args
        self.kwargs = kwargs

        try:
            self.on_start()
        except InterruptTaskSet as exc:
            raise self._reschedule_for(exc) from exc

        user = self.locust
        while True:
            if self._timed_out():
                return
            if not self._task_queue and not self.tasks:
                self._no_tasks()
            try:
                if not self._task_queue:
                    self.schedule_task(self.get_next_task())
                try:
                    if user._state == STATE_STOPPING:
                        raise StopLocust()
                    self.execute_next_task()
                except RescheduleTaskImmediately:
                    pass
                except RescheduleTask:
                    self.wait()
                else:
                    self.wait()
            except InterruptTaskSet as exc:
                self._call_on_stop()
                raise self._reschedule_for(exc) from exc
            except (StopLocust, StopTest, GreenletExit):
                self._call_on_stop()
                raise
            except Exception as exc:
                tb = exc.__traceback__
                events.locust_error.fire(locust_instance=self, exception=exc, tb=tb)
                if events.user_error._handlers:
                    events.user_error.fire(user_instance=self, exception=exc, tb=tb)
                if not user._catch_exceptions:
                    raise
                log.error("Unhandled %s in a task of %s: %s",
                          type(exc).__name__, type(self).__name__, exc,
                          exc_info=(type(exc), exc, tb))
                self.wait()

    def _no_tasks(self):
        raise LocustError(
            "No tasks defined in %s: use the @task decorator or set the "
            "tasks attribute of the TaskSet" % type(self).__name__)

    @staticmethod
    def _reschedule_for(interrupt):
        if interrupt.reschedule:
            return RescheduleTaskImmediately(interrupt.reschedule)
        return RescheduleTask(interrupt.reschedule)

    def _timed_out(self):
        timeout = self.locust.stop_timeout
        return timeout is not None and self._clock() - self._time_start >= timeout

    # -- tasks ---------------------------------------------------------------

    def execute_next_task(self):
        """Pop the first task of the queue and execute it."""
        entry = self._task_queue.pop(0)
        task = entry["callable"]
        if self.locust._iterations_left is None:  # the usual case: nothing to count
            self.execute_task(task, *entry["args"], **entry["kwargs"])
            return
        try:
            self.execute_task(task, *entry["args"], **entry["kwargs"])
        finally:
            # --iterations counts tasks that ran (whatever their outcome);
            # a nested TaskSet's own tasks count, entering it does not.
            if self.locust._iterations_left is not None and not (
                    isinstance(task, type) and issubclass(task, TaskSet)):
                self.locust._task_done()

    def execute_task(self, task, *args, **kwargs):
        """Execute one task with the given arguments.

        A method bound to this TaskSet is called as is; a TaskSet subclass is
        instantiated with this TaskSet as parent and run with the arguments;
        any other callable is called as ``task(self, *args, **kwargs)``.
        """
        if getattr(task, "__self__", None) is self:
            task(*args, **kwargs)
        elif isinstance(task, type) and issubclass(task, TaskSet):
            task(self).run(*args, **kwargs)
        else:
            task(self, *args, **kwargs)

    def schedule_task(self, task_callable, args=None, kwargs=None, first=False):
        """Add a task to this TaskSet's execution queue.

        ``args`` (a sequence) and ``kwargs`` (a dict) are passed to the task
        when it runs; with ``first=True`` the task goes to the front of the
        queue.  Queued tasks run before any randomly picked one.
        """
        entry = {"callable": task_callable, "args": args or (), "kwargs": kwargs or {}}
        if first:
            self._task_queue.insert(0, entry)
        else:
            self._task_queue.append(entry)

    def get_next_task(self):
        """Pick the next task at random from ``tasks`` (weights are repeats).

        Raises IndexError when ``tasks`` is empty.
        """
        return random.choice(self.tasks)

    # -- waiting -------------------------------------------------------------

    def get_wait_secs(self):
        """Return a random wait between ``min_wait`` and ``max_wait`` ms, in seconds.

        Both ends are inclusive; float bounds give a uniform float wait.
        """
        low, high = self.min_wait, self.max_wait
        if isinstance(low, Integral) and isinstance(high, Integral):
            millis = random.randint(low, high)
        else:
            millis = random.uniform(low, high)
        return millis / 1000.0

    def wait_time(self):
        """Seconds to wait after a task (the 2.x hook; override it or assign a wait function).

        In order: this TaskSet's own ``min_wait``/``max_wait`` (0.7), else
        the user's ``wait_time`` (2.x), else the user's
        ``min_wait``/``max_wait`` milliseconds (0.7, default 1000).
        Raises MissingWaitTimeError when none is set.
        """
        cls = type(self)
        if cls.min_wait or cls.max_wait:
            return self.get_wait_secs()
        user_wait = self.locust.wait_time
        if user_wait is not None:
            return user_wait()
        if self.min_wait is None or self.max_wait is None:
            raise MissingWaitTimeError(
                "%s has no wait_time: set one, e.g. wait_time = between(1, 5)"
                % type(self.locust).__name__)
        return self.get_wait_secs()

    def wait(self):
        """Sleep the time :meth:`wait_time` says (0.7: ``min_wait``..``max_wait`` ms).

        The sleep is cut short at the user's ``stop_timeout``, so a user with
        long waits still stops on time. Raises StopLocust when the user has
        been asked to stop after its current task.
        """
        user = self.locust
        if user._state == STATE_STOPPING:
            raise StopLocust()
        seconds = self.wait_time()
        timeout = user.stop_timeout
        if timeout is not None:
            remaining = timeout - (self._clock() - self._time_start)
            seconds = max(0.0, min(seconds, remaining))
        user._state = STATE_WAITING
        self._sleep(seconds)
        if user._state == STATE_STOPPING:
            raise StopLocust()
        user._state = STATE_RUNNING

    def _sleep(self, seconds):
        """Sleep cooperatively; tests override this to record or skip waits."""
        sleep(seconds)

    def interrupt(self, reschedule=True):
        """Interrupt the TaskSet and hand over execution control back to the parent TaskSet.

        If ``reschedule`` is True (default), the parent immediately picks and
        executes a new task; otherwise it waits first.  Must not be called in
        the root TaskSet (Locust.run then raises LocustError).  Always raises
        InterruptTaskSet.
        """
        raise InterruptTaskSet(reschedule)
