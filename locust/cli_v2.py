"""The command line's share of the 2.x user API, kept out of ``locust.main``.

- :func:`prepare_classes`: the user classes that can run, after the mix-up
  checks (one line each) and ``--tags`` / ``--exclude-tags``.
- :func:`pick_shape`, :func:`make_environment`: the load shape and the
  :class:`~locust.env.Environment` the ``init`` event gets.
- :func:`fire_init`: the ``init`` event (a listener's error ends the run);
- :func:`start_test`: a headless (or ``--autostart``) start, by the shape
  or by ``-u``/``-r``; :func:`serve_until_quit`: the web UI's main loop
  (``--autostart``, ``--autoquit``, ``runner.quit()``).
"""

import logging
import os

from . import events
from .engine import sleep
from .runners import UserCountError

__all__ = ["UsageError", "prepare_classes", "pick_shape", "make_environment", "fire_init",
           "start_test", "serve_until_quit"]

logger = logging.getLogger("locust.main")


class UsageError(Exception):
    """A problem to report in one line per item of ``lines`` (exit status ``exit_code``)."""

    def __init__(self, lines, exit_code=1):
        super().__init__("\n".join(lines))
        self.lines = lines
        self.exit_code = exit_code


def prepare_classes(classes, options):
    """The classes that can run (tags applied); UsageError with one line per problem."""
    from .user.task import filter_tasks_by_tags, task_holder_of
    from .user.users import check_user_class
    problems = [p for p in (check_user_class(cls) for cls in classes) if p]
    if problems:
        raise UsageError(problems)
    tags = getattr(options, "tags", None)
    exclude = getattr(options, "exclude_tags", None)
    if tags is None and not exclude:
        return list(classes)
    kept = []
    for cls in classes:
        if filter_tasks_by_tags(task_holder_of(cls), set(tags) if tags is not None else None,
                                set(exclude) if exclude else None):
            kept.append(cls)
        else:
            logger.warning("%s has no task left after --tags/--exclude-tags: it will not run",
                           cls.__name__)
    if not kept:
        raise UsageError(["No task of %s matches --tags %s / --exclude-tags %s" % (
            ", ".join(cls.__name__ for cls in classes), " ".join(tags or ()) or "-",
            " ".join(exclude or ()) or "-")])
    return kept


def pick_shape(shapes):
    """The one load shape class of the locustfile(s), or None; UsageError for several."""
    if len(shapes) > 1:
        raise UsageError(["The locustfile has several load shapes (%s): keep one" % ", ".join(
            cls.__name__ for cls in shapes)])
    return shapes[0] if shapes else None


def make_environment(options, classes, shape_class, available, runner):
    """The Environment of this run, tied to ``runner`` (and the shape to the runner)."""
    from .env import Environment
    env = Environment(
        user_classes=classes, shape_class=shape_class() if shape_class else None,
        tags=getattr(options, "tags", None), exclude_tags=getattr(options, "exclude_tags", None),
        host=options.host, reset_stats=options.reset_stats,
        stop_timeout=getattr(options, "stop_timeout", None), parsed_options=options,
        locustfile=os.path.basename(getattr(options, "locustfile_path", "") or ""),
        available_user_classes=dict(available),
        available_shape_classes={shape_class.__name__: shape_class} if shape_class else {})
    env._tasks_filtered = True  # prepare_classes did it
    env.runner = runner
    runner.environment = env
    if env.shape_class is not None:
        env.shape_class.runner = runner
        if not shape_class.use_common_options:
            given = [flag for flag, value in (("-u", options.num_clients), ("-t", options.run_time))
                     if value]
            if given:
                logger.warning("The load shape %s drives the test: %s ignored (set "
                               "use_common_options = True to use them)", shape_class.__name__,
                               " and ".join(given))
            runner.run_time = None
    return env


def fire_init(environment, runner, web_ui):
    """The 2.x ``init`` event; a listener's exception ends the run (UsageError)."""
    try:
        events.init.fire(environment=environment, runner=runner, web_ui=web_ui)
    except Exception:
        logger.exception("An init event listener failed")
        raise UsageError(["an init event listener failed (see above)"]) from None


def start_test(runner, num_clients, hatch_rate):
    """Start the test now: the environment's load shape, else ``num_clients`` users.

    Raises UsageError when the users cannot be split (e.g. all weights 0).
    """
    try:
        if runner.environment.shape_class is not None:
            runner.start_shape()
        else:
            runner.start_hatching(num_clients, hatch_rate)
    except UserCountError:
        raise  # a usage error of its own (exit 2), the caller's
    except ValueError as exc:
        raise UsageError([str(exc)]) from None


def serve_until_quit(runner, options, num_clients):
    """While the web UI serves: start at once with ``--autostart``; return when the
    runner quits, or ``--autoquit`` seconds after an autostarted test stopped."""
    if options.autostart:
        start_test(runner, num_clients, options.hatch_rate)
        runner.wait()
        if options.autoquit is not None:
            logger.info("The test has stopped: quitting in %d s (--autoquit)", options.autoquit)
            sleep(options.autoquit)
            return
    runner.greenlet.join()  # the signal handlers keep the hub from calling this a dead lock
