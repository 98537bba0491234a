"""``Environment`` (2.x): the user classes, options, runner and web UI of one test.

::

    from locust.env import Environment

    env = Environment(user_classes=[MyUser], host="http://127.0.0.1:8080")
    runner = env.create_local_runner()
    web_ui = env.create_web_ui("127.0.0.1", 0)
    runner.start(10, spawn_rate=5)
    spawn_later(30, runner.quit)        # locust.engine.spawn_later, not gevent's
    runner.greenlet.join()
    print(env.stats.total.num_requests)
    web_ui.stop()

The command line builds one too, so ``init`` and ``test_start`` listeners
get the same object in a locustfile and in a script.

Differences from Locust 2.x, both from the 0.7 API living in the same
process: the event hooks are the process's (``events`` defaults to, and
must be, :mod:`locust.events`), and so are the statistics (``stats`` is
:data:`locust.stats.global_stats`; a new test clears them).
"""

import argparse

from . import events as _events
from .exception import RunnerAlreadyExistsError
from .shape import LoadTestShape
from .stats import global_stats
from .user.task import filter_tasks_by_tags, task_holder_of

__all__ = ["Environment"]


class Environment:
    """The user classes, options, runner and web UI of one test.

    Keyword arguments as in Locust 2.x: ``user_classes``, ``shape_class``
    (a LoadTestShape instance), ``tags`` / ``exclude_tags``, ``events``,
    ``host``, ``reset_stats``, ``stop_timeout`` (seconds users get to
    finish their task when the test stops), ``catch_exceptions``,
    ``parsed_options`` (the command line's Namespace, extra options of
    ``init_command_line_parser`` included), ``locustfile``,
    ``available_user_classes``, ``available_shape_classes``. Others are
    accepted and ignored.

    Raises ValueError for an ``events`` other than :mod:`locust.events` or a
    shape that is not a LoadTestShape instance; creating a runner raises it
    for two user classes with the same name, or classes that all have
    weight 0 and no fixed_count.
    """

    def __init__(self, *, user_classes=None, shape_class=None, tags=None, exclude_tags=None,
                 locustfile=None, events=None, host=None, reset_stats=False, stop_timeout=None,
                 catch_exceptions=True, parsed_options=None, available_user_classes=None,
                 available_shape_classes=None, **_ignored):
        if events is not None and events is not _events:
            raise ValueError("Environment(events=...) takes locust.events (or nothing): the "
                             "event hooks are shared by every environment of the process")
        if shape_class is not None and not isinstance(shape_class, LoadTestShape):
            raise ValueError("shape_class must be an instance of a LoadTestShape subclass, got %r"
                             % (shape_class,))
        #: The event hooks (the :mod:`locust.events` module).
        self.events = _events
        #: The user classes the runner runs.
        self.user_classes = list(user_classes or [])
        #: The LoadTestShape instance driving the test, or None.
        self.shape_class = shape_class
        self.tags = tags
        self.exclude_tags = exclude_tags
        #: File name of the locustfile, if any.
        self.locustfile = locustfile
        #: Base URL of the system under test (overrides the classes' host).
        self.host = host
        self.reset_stats = reset_stats
        self.stop_timeout = stop_timeout
        #: False: an exception in a task ends its user instead of being logged.
        self.catch_exceptions = catch_exceptions
        #: The parsed command line (argparse Namespace), or None.
        self.parsed_options = parsed_options
        self.available_user_classes = available_user_classes
        self.available_shape_classes = available_shape_classes
        #: The exit code the command line uses, when set (e.g. by a quitting listener).
        self.process_exit_code = None
        #: The runner, once created.
        self.runner = None
        #: The web UI, once created.
        self.web_ui = None
        #: The statistics (the process's).
        self.stats = global_stats
        self._tasks_filtered = False

    def _check_classes(self):
        names = [cls.__name__ for cls in self.user_classes]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError("Two user classes have the same name: %s" % ", ".join(duplicates))
        if self.user_classes and not any(
                getattr(c, "weight", 10) > 0 or getattr(c, "fixed_count", 0) > 0
                for c in self.user_classes):
            raise ValueError("There are no users with weight > 0.")

    @classmethod
    def for_runner(cls, runner):
        """The environment of a runner created without one (0.7-style construction)."""
        options = runner.options
        env = cls(user_classes=runner.locust_classes, host=runner.host,
                  reset_stats=runner.reset_stats, parsed_options=options,
                  stop_timeout=getattr(options, "stop_timeout", None))
        env.runner = runner
        runner.environment = env
        return env

    @property
    def user_classes_by_name(self):
        """``{name: class}`` of the user classes."""
        return {cls.__name__: cls for cls in self.user_classes}

    # -- runners ----------------------------------------------------------------

    def _options(self, **extra):
        """The options a runner reads (getattr with defaults), from this environment."""
        options = argparse.Namespace(**vars(self.parsed_options)) if self.parsed_options else \
            argparse.Namespace()
        if self.host:
            options.host = self.host
        options.reset_stats = self.reset_stats or getattr(options, "reset_stats", False)
        if self.stop_timeout is not None:
            options.stop_timeout = self.stop_timeout
        for key, value in extra.items():
            setattr(options, key, value)
        return options

    def _create_runner(self, runner_class, **extra):
        if self.runner is not None:
            raise RunnerAlreadyExistsError("Environment.runner already exists (%r)" % (self.runner,))
        if not self.user_classes:
            raise ValueError("Environment has no user_classes to run")
        self._check_classes()
        self._filter_tasks_by_tags()
        runner = runner_class(self.user_classes, self._options(**extra), self.stats)
        runner.environment = self
        self.runner = runner
        if self.shape_class is not None:
            self.shape_class.runner = runner
        return runner

    def create_local_runner(self):
        """Create the runner that runs every user in this process; returns it."""
        from .runners import LocalLocustRunner
        return self._create_runner(LocalLocustRunner)

    def create_master_runner(self, master_bind_host="*", master_bind_port=5557):
        """Create a master (slaves connect to it on the port and the next); returns it.

        Raises OSError when the ports cannot be bound.
        """
        from .master import MasterLocustRunner
        return self._create_runner(MasterLocustRunner, master_bind_host=master_bind_host,
                                   master_bind_port=master_bind_port)

    def create_worker_runner(self, master_host, master_port):
        """Create a slave of the master at ``master_host:master_port``; returns it."""
        from .slave import SlaveLocustRunner
        return self._create_runner(SlaveLocustRunner, master_host=master_host,
                                   master_port=master_port)

    def create_web_ui(self, host="", port=8089, web_login=False, tls_cert=None, tls_key=None,
                      delayed_start=False, userclass_picker_is_active=False, **_ignored):
        """Serve the dashboard for this environment's runner; returns the :class:`WebUI`.

        Port 0 picks a free port (``web_ui.server.server_port``). With
        ``delayed_start`` the server starts on ``web_ui.start()``. Raises
        ValueError without a runner, OSError when the address cannot be
        bound; ``web_login`` and TLS are not supported (ValueError).
        """
        if web_login or tls_cert or tls_key:
            raise ValueError("web_login and TLS for the web UI are not supported; "
                             "use --web-auth user:password")
        from .web_ui import WebUI
        self.web_ui = WebUI(self, host, port, class_picker=userclass_picker_is_active)
        if not delayed_start:
            self.web_ui.start()
        return self.web_ui

    # -- tags -------------------------------------------------------------------

    def _filter_tasks_by_tags(self):
        """Keep, on every user class, only the tasks ``tags``/``exclude_tags`` select."""
        if self._tasks_filtered:
            return
        self._tasks_filtered = True
        options = self.parsed_options
        tags = self.tags if self.tags is not None else getattr(options, "tags", None)
        exclude = self.exclude_tags if self.exclude_tags is not None else \
            getattr(options, "exclude_tags", None)
        # Always walked: with no tags it puts back what an earlier run filtered out.
        tags = set(tags) if tags is not None else None
        exclude = set(exclude) if exclude else None
        for user_class in self.user_classes:
            filter_tasks_by_tags(task_holder_of(user_class), tags, exclude)
