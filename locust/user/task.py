"""Tasks for the 2.x API: ``@task``, ``@tag``, ``TaskSet`` and the user's own tasks.

``task`` and ``TaskSet`` are the same objects as in :mod:`locust.core` (one
task loop for both APIs). :func:`tag` marks tasks and TaskSets, and
:func:`filter_tasks_by_tags` keeps, per user class, the tasks that
``--tags`` / ``--exclude-tags`` select. :class:`DefaultTaskSet` runs the
tasks declared on a 2.x user class itself, passing them the user.
"""

import logging
import random

from ..core import TaskSet, task
from ..exception import LocustError

__all__ = ["task", "tag", "TaskSet", "DefaultTaskSet", "filter_tasks_by_tags", "task_holder_of"]

log = logging.getLogger(__name__)


def tag(*tags):
    """Tag a task (a method, a function or a TaskSet class) with names.

    ::

        @tag("checkout", "slow")
        @task
        def buy(self): ...

    A tagged TaskSet passes its tags on to all its tasks. With ``--tags``
    only tasks carrying one of those tags run; ``--exclude-tags`` removes
    those carrying one (exclusion wins). Raises ValueError without a name.
    """
    if not tags or callable(tags[0]):
        raise ValueError("@tag needs at least one tag name, e.g. @tag('checkout')")

    def decorator(decorated):
        if isinstance(decorated, type) and hasattr(decorated, "tasks"):
            for item in set(decorated.tasks):
                decorator(item)
        else:
            # Own set per object: a set inherited from a tagged base class
            # must not collect this object's tags.
            own = decorated.__dict__.get("locust_tag_set") if hasattr(decorated, "__dict__") else None
            decorated.locust_tag_set = (own or set()) | set(tags)
        return decorated
    return decorator


def task_holder_of(user_class):
    """The class whose ``tasks`` a user class runs: its ``task_set`` (0.7) or itself (2.x)."""
    task_set = getattr(user_class, "task_set", None)
    return task_set if task_set is not None else user_class


def _tags_of(item):
    return getattr(item, "locust_tag_set", None) or set()


def filter_tasks_by_tags(holder, tags=None, exclude_tags=None, _seen=None):
    """Keep in ``holder.tasks`` (recursively) only the tasks the tags select.

    ``tags`` / ``exclude_tags`` are sets or None. The class's full list is
    kept aside the first time, so filtering again (another run, other tags)
    starts from every task. A nested TaskSet stays if any of its tasks
    does. Returns True if ``holder`` has tasks left.
    """
    if _seen is None:
        _seen = {}
    if holder in _seen:
        return _seen[holder]
    _seen[holder] = True  # a cycle counts as non-empty while being decided
    original = holder.__dict__.get("_all_tasks")
    if original is None:
        original = list(holder.tasks)
        holder._all_tasks = original
    kept = []
    for item in original:
        if isinstance(item, type) and hasattr(item, "tasks"):
            keep = filter_tasks_by_tags(item, tags, exclude_tags, _seen)
        else:
            marks = _tags_of(item)
            keep = (tags is None or bool(marks & tags)) and not (exclude_tags and marks & exclude_tags)
        if keep:
            kept.append(item)
    holder.tasks = kept
    _seen[holder] = bool(kept)
    return bool(kept)


class DefaultTaskSet(TaskSet):
    """The root TaskSet of a 2.x user: runs the tasks declared on the user class.

    A task function or ``@task`` method gets the user as its argument; a
    TaskSet class among them runs with the user as its parent.
    """

    def get_next_task(self):
        """Pick one of the user's tasks (weights are repeats).

        Raises LocustError when the user class has none.
        """
        tasks = self.locust.tasks
        if not tasks:
            raise LocustError(no_tasks_message(type(self.locust)))
        return random.choice(tasks)

    def _no_tasks(self):
        # The tasks are the user's, not this class's (whose list is empty).
        if not self.locust.tasks:
            raise LocustError(no_tasks_message(type(self.locust)))

    def execute_task(self, task, *args, **kwargs):
        """Run ``task`` with the user as its argument (a TaskSet class: as its parent)."""
        if isinstance(task, type) and issubclass(task, TaskSet):
            task(self.locust).run(*args, **kwargs)
        else:
            task(self.locust, *args, **kwargs)


def no_tasks_message(user_class):
    """The one line that says a user class has nothing to run."""
    hint = ""
    if getattr(user_class, "task", None) is not None and not callable(user_class.task):
        hint = " (it has a 'task' attribute: did you mean 'tasks'?)"
    return ("No tasks defined on %s: use @task or set tasks%s (set abstract = True on a base "
            "class that is only meant to be inherited from)" % (user_class.__name__, hint))
