"""``LoadTestShape`` (2.x): a class that drives the user count over time.

A locustfile that defines a (non-abstract) subclass runs that shape instead
of ``-u``/``-r``/``-t``: about once a second the runner calls ``tick()``,
which returns ``(user_count, spawn_rate)``, ``(user_count, spawn_rate,
user_classes)`` or None to stop the test. It works headless, from the
dashboard's start button and distributed (the master runs the shape and
splits each count over its slaves).
"""

import time

__all__ = ["LoadTestShape"]


class _ShapeMeta(type):
    def __new__(mcs, classname, bases, namespace):
        namespace.setdefault("abstract", False)
        return super().__new__(mcs, classname, bases, namespace)


class LoadTestShape(metaclass=_ShapeMeta):
    """Base class of custom load shapes: override :meth:`tick`.

    ::

        class StepShape(LoadTestShape):
            def tick(self):
                run_time = self.get_run_time()
                if run_time > 60:
                    return None
                return (10 * (int(run_time) // 10 + 1), 10)

    ``runner`` is the runner it drives (set when the runner is created).
    Set ``abstract = True`` on a base shape that is not meant to run;
    ``use_common_options = True`` to keep ``-u``/``-r``/``-t`` (read them
    from ``self.runner.environment.parsed_options``).
    """

    abstract = True
    #: The runner this shape drives.
    runner = None
    #: Keep -u/-r/-t (otherwise they are ignored with a warning).
    use_common_options = False

    def __init__(self):
        self.start_time = time.monotonic()

    def reset_time(self):
        """Start counting the run time from now."""
        self.start_time = time.monotonic()

    def get_run_time(self):
        """Seconds since the shape started (or :meth:`reset_time`)."""
        return time.monotonic() - self.start_time

    def get_current_user_count(self):
        """Users running now, as the runner counts them."""
        return self.runner.user_count

    def tick(self):
        """``(user_count, spawn_rate)``, ``(user_count, spawn_rate, user_classes)`` or None (stop)."""
        raise NotImplementedError("%s must define tick()" % type(self).__name__)
