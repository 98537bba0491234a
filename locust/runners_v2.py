"""What a runner adds for the 2.x API: ``start()``, shapes, graceful stops, iterations.

:class:`RunnerV2` is a base of :class:`locust.runners.LocustRunner`, so the
local runner, the master and the slave all have these methods; it works
through the base runner's own machinery (``start_hatching``, ``stop``,
``split_users``) and only adds:

- ``environment`` (the :class:`~locust.env.Environment`; one is made for a
  runner created without one), users created as ``User(environment)``
  (2.x) or ``Locust()`` (0.7), each user's instance kept per user;
- ``start(user_count, spawn_rate, wait=False, user_classes=None)`` and
  ``greenlet.join()`` (returns when the runner quits), ``user_classes_count``,
  ``errors``, ``hatcher`` (the hatching loop);
- ``fixed_count`` and a restriction to some classes in the split of users
  (a shape's third tick value, the dashboard's class picker);
- :meth:`start_shape`: a loop that asks the environment's
  :class:`~locust.shape.LoadTestShape` for a tick about once a second and
  starts, changes or stops the test accordingly;
- ``--stop-timeout S``: on a stop, every user is asked to finish its
  current task first (a user waiting between tasks stops at once), for at
  most S seconds; what is left then goes through the normal stop;
- ``--iterations N``: each user stops after N tasks; when they all have,
  the test is over (the runner's "all users finished");
- ``StopTest`` raised by a user stops the test;
- ``register_message`` / ``send_message`` within one process (a local run).
"""

import logging

from . import events
from .core import STATE_STOPPING, STATE_WAITING
from .engine import Event, clock, getcurrent, joinall, run_callback, sleep, spawn
from .exception import StopLocust, StopTest

__all__ = ["RunnerV2", "RunnerGreenlet", "Message"]

logger = logging.getLogger("locust.runners")

#: The runner's state while --stop-timeout lets the users finish their tasks.
STATE_STOPPING_USERS = "stopping"
# The runner states of locust.runners (which imports this module).
_READY, _STOPPED = "ready", "stopped"


class RunnerGreenlet:
    """``runner.greenlet``: stands for the runner's life, as in 2.x.

    ``join(timeout=None)`` returns when the runner has quit (True), or after
    ``timeout`` seconds (False); ``kill()`` quits the runner.
    """

    def __init__(self, runner):
        self._runner = runner
        self._quit = Event()

    @property
    def dead(self):
        """True once the runner has quit."""
        return self._quit.is_set()

    def ready(self):
        """True once the runner has quit."""
        return self._quit.is_set()

    def join(self, timeout=None):
        """Wait until the runner has quit (at most ``timeout`` s); True if it has."""
        return self._quit.wait(timeout)

    def kill(self, *_args, **_kwargs):
        """Quit the runner."""
        self._runner.quit()


class Message:
    """A custom message (2.x ``register_message``): ``type``, ``data``, ``node_id``."""

    def __init__(self, message_type, data, node_id):
        self.type = message_type
        self.data = data
        self.node_id = node_id


class RunnerV2:
    """The 2.x methods of every runner (see the module docstring)."""

    def _init_v2(self, options):
        """Set up the 2.x state; called from LocustRunner.__init__."""
        self._environment = None
        #: The spawned loop running the load shape, or None.
        self.shape_loop = None
        self.greenlet = RunnerGreenlet(self)
        #: Tasks each user runs before it stops (--iterations), or None.
        self.iterations = getattr(options, "iterations", None) or None
        #: Seconds users get to finish their task when the test stops (--stop-timeout).
        self.stop_timeout = getattr(options, "stop_timeout", None) or None
        self.custom_messages = {}
        self._user_instances = {}   # user (engine Greenlet) -> its Locust/User instance
        self._class_filter = None   # classes a start() restricted the split to
        self._finishing = False

    # -- the environment and the users ----------------------------------------

    @property
    def environment(self):
        """The :class:`~locust.env.Environment` of this runner (made on first use if none)."""
        env = self._environment
        if env is None:
            from .env import Environment
            env = Environment.for_runner(self)
        return env

    @environment.setter
    def environment(self, env):
        self._environment = env

    def _new_user(self, cls):
        from .user.users import User
        env = self.environment
        if issubclass(cls, User):
            user = cls(env)
        else:
            user = cls()
            user.environment = env
        if self.iterations:
            user._iterations_left = self.iterations
        return user

    def _run_instance(self, cls):
        """Create a user of ``cls`` and run it here (in the caller) until it ends."""
        user = self._new_user(cls)
        glet = getcurrent()
        self._user_instances[glet] = user
        try:
            user.run()
        except StopTest as exc:
            logger.error("%s raised StopTest: stopping the test%s", cls.__name__,
                         (": %s" % exc) if str(exc) else "")
            self.stop_reason = "StopTest"
            spawn(self.stop)
        finally:
            self._user_instances.pop(glet, None)

    @property
    def user_classes_count(self):
        """``{class name: users}`` running now."""
        return {cls.__name__: n for cls, n in self.user_counts().items()}

    @property
    def user_classes(self):
        """The user classes this runner may run."""
        return list(self.locust_classes)

    @property
    def errors(self):
        """The failures, grouped (``stats.errors``)."""
        return self.stats.errors

    @property
    def target_user_count(self):
        """The user count asked for by the last start."""
        return self.num_clients

    # -- starting ---------------------------------------------------------------

    def start(self, user_count, spawn_rate, wait=False, user_classes=None):
        """Start a test with ``user_count`` users, or change the count of a running one (2.x).

        ``user_classes`` (classes or class names) restricts the users to
        those classes; None runs every class. With ``wait`` return when
        the count is reached. Raises ValueError as start_hatching does.
        """
        self._class_filter = self._classes_named(user_classes)
        self.start_hatching(user_count, spawn_rate, wait=wait)

    def swarm(self, user_count, spawn_rate, user_classes=None):
        """The dashboard's start: the load shape if there is one, else :meth:`start`."""
        if self.environment.shape_class is not None:
            self.start_shape()
        else:
            self.start(user_count, spawn_rate, user_classes=user_classes)

    def _classes_named(self, user_classes):
        if not user_classes:
            return None
        by_name = {cls.__name__: cls for cls in self.locust_classes}
        chosen = []
        for item in user_classes:
            cls = by_name.get(item) if isinstance(item, str) else item
            if cls is None or cls not in self.locust_classes:
                raise ValueError("unknown user class %r (known: %s)" % (
                    getattr(item, "__name__", item), ", ".join(sorted(by_name))))
            chosen.append(cls)
        return chosen

    def _split_by_class(self, count, weight_split):
        """``{class: users}``: fixed_count classes first, the rest by weight."""
        allowed = self._class_filter
        classes = [cls for cls in self.locust_classes if allowed is None or cls in allowed]
        result = {cls: 0 for cls in self.locust_classes}
        left = count
        for cls in classes:
            fixed = getattr(cls, "fixed_count", 0) or 0
            if fixed > 0:
                result[cls] = min(fixed, left)
                left -= result[cls]
        weighted = [cls for cls in classes if not (getattr(cls, "fixed_count", 0) or 0) > 0]
        if weighted:
            weights = [getattr(cls, "weight", 10) for cls in weighted]
            result.update(zip(weighted, weight_split(left, weights)))
        return result

    # -- shapes -------------------------------------------------------------------

    def start_shape(self):
        """Let the environment's load shape drive the test (about one tick a second)."""
        shape = self.environment.shape_class
        if shape is None:
            raise ValueError("there is no load shape to start")
        if self.shape_loop is not None and not self.shape_loop.dead:
            logger.info("The load shape is already running")
            return
        shape.runner = self
        shape.reset_time()
        self.shape_loop = spawn(self._shape_loop, shape)

    def _shape_loop(self, shape):
        last = None
        while last is None or self.state != _STOPPED:
            started = clock()
            try:
                tick = shape.tick()
            except Exception:
                logger.exception("The load shape's tick() failed: stopping the test")
                tick = None
            if tick is None:
                logger.info("Shape test stopping")
                self.stop_reason = self.stop_reason or "shape finished"
                self.shape_loop = None
                self.stop()
                return
            if tick != last:
                users, rate = tick[0], tick[1]
                classes = tick[2] if len(tick) > 2 else None
                logger.info("Shape test updating to %d users at %.2f spawn rate", users, rate)
                try:
                    self.start(users, rate, user_classes=classes)
                except ValueError as exc:
                    logger.error("The load shape asked for %r: %s", tick, exc)
                last = tick
            sleep(max(0.0, 1.0 - (clock() - started)))

    # -- stopping -------------------------------------------------------------------

    def _before_stop(self):
        """Called first by stop(): test_stopping, the shape, --stop-timeout.

        Returns True when the stop has been completed meanwhile by another
        call (the caller then has nothing left to do).
        """
        shape_glet = self.shape_loop
        if shape_glet is not None and shape_glet is not getcurrent():
            self.shape_loop = None
            shape_glet.kill(block=False)
        if self.state in (_STOPPED, _READY) or self._finishing:
            return False
        events.test_stopping.fire(environment=self.environment)
        if not self.stop_timeout or not self._users:
            return False
        self._finishing = True
        try:
            self._cancel_hatching()
            self._finish_tasks(self.stop_timeout)
        finally:
            self._finishing = False
        return self.state == _STOPPED and not self._users

    def _finish_tasks(self, timeout):
        """Ask every user to stop after its task; wait at most ``timeout`` s."""
        self.state = STATE_STOPPING_USERS
        glets = [g for g in self._users if g not in self._retiring and not g.dead]
        run_callback(self._ask_to_stop, glets)
        logger.info("Letting %d users finish their tasks (at most %g s)", len(glets), timeout)
        joinall(glets, timeout=timeout)
        left = sum(1 for g in glets if not g.dead)
        if left:
            logger.info("%d users did not finish their tasks in %g s: stopping them", left, timeout)

    def _ask_to_stop(self, glets):
        # Runs in the hub, so "is it waiting?" and the throw are one step: a
        # user found between tasks stops there (its on_stop runs), one in a
        # task stops when the task is done (TaskSet.run checks _state).
        for glet in glets:
            if glet.dead:
                continue
            user = self._user_instances.get(glet)
            if user is None:
                if glet.gr_frame is None:
                    glet.kill(block=False)  # not started yet: never will
                continue
            if user._state == STATE_WAITING:
                glet.throw(StopLocust())
            else:
                user._state = STATE_STOPPING

    def _after_quit(self):
        """Called by quit(): ``greenlet.join()`` returns from now on."""
        self.greenlet._quit.set()

    # -- custom messages (one process) ------------------------------------------------

    def register_message(self, msg_type, listener, concurrent=False):  # noqa: ARG002 - the 2.x signature
        """Call ``listener(environment=..., msg=Message)`` for messages of ``msg_type``.

        Raises ValueError when a listener is already registered for it.
        """
        if msg_type in self.custom_messages:
            raise ValueError("a listener is already registered for %r" % msg_type)
        self.custom_messages[msg_type] = listener

    def send_message(self, msg_type, data=None, client_id=None):  # noqa: ARG002 - the 2.x signature
        """Deliver a custom message to this process's listener for ``msg_type``.

        Only within one process: between a master and its slaves, the
        message is logged and dropped.
        """
        if hasattr(self, "slave_count") or hasattr(self, "master_host"):
            logger.warning("Custom message %r not sent: messages between master and slaves "
                           "are not supported", msg_type)
            return
        listener = self.custom_messages.get(msg_type)
        if listener is None:
            logger.warning("Got a %r message with no listener registered for it", msg_type)
            return
        listener(environment=self.environment, msg=Message(msg_type, data, self.node_id))
