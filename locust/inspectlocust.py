"""Task ratios: how often each task runs, for ``--show-task-ratio(-json)``.

:func:`get_task_ratio_dict` maps each Locust class or task's ``__name__`` to
``{"ratio": float, "tasks": {...}}`` (a plain function has only ``ratio``).
Among Locust classes a ratio is the class's ``weight`` over the sum of
weights; among tasks it is the number of times the task appears in the
resolved ``tasks`` list (its weight) over the list's length.  With
``total=True`` every ratio is multiplied by its parent's, so it is the share
of all task executions; otherwise it is relative to its siblings.
"""

import inspect
import sys

from .core import Locust, TaskSet

__all__ = ["get_task_ratio_dict", "print_task_ratio", "format_task_ratio"]


def _children(item):
    if issubclass(item, Locust):
        # A 0.7 class runs its task_set's tasks; a 2.x User its own.
        return item.task_set.tasks if item.task_set is not None else list(getattr(item, "tasks", None) or [])
    if issubclass(item, TaskSet):
        return item.tasks
    return None


def get_task_ratio_dict(tasks, total=False, parent_ratio=1.0):
    """Return ``{name: {"ratio": r, "tasks": {...}}}`` for a list of Locust classes or tasks.

    ``tasks`` is either a list of Locust classes (ratios by ``weight``) or a
    TaskSet's resolved ``tasks`` list (ratios by repeats).  Two tasks with
    the same ``__name__`` (e.g. a method overridden in a subclass while the
    base's stays in the list) share one key and their ratios are added.
    """
    tasks = list(tasks)
    if not tasks:
        return {}
    by_weight = all(inspect.isclass(t) and issubclass(t, Locust) for t in tasks)

    counts = {}
    for item in tasks:
        counts[item] = counts.get(item, 0) + (item.weight if by_weight else 1)
    divisor = sum(counts.values())

    result = {}
    for item, count in counts.items():
        ratio = (count / divisor if divisor else 0.0) * parent_ratio
        name = getattr(item, "__name__", repr(item))
        entry = result.get(name)
        if entry is None:
            entry = result[name] = {"ratio": 0.0}
        entry["ratio"] += ratio
        children = _children(item) if inspect.isclass(item) else None
        if children is not None and "tasks" not in entry:
            entry["tasks"] = get_task_ratio_dict(
                children, total, ratio if total else 1.0)
    return result


def format_task_ratio(ratio_dict, level=0):
    """Return the lines of a ratio tree: percentage then name, 2 spaces of indent per level."""
    lines = []
    for name, info in ratio_dict.items():
        padding = "  " * level
        lines.append(" %-10s %-50s" % (padding + "%-6.1f" % (info["ratio"] * 100),
                                       padding + name))
        if "tasks" in info:
            lines.extend(format_task_ratio(info["tasks"], level + 1))
    return lines


def print_task_ratio(locusts, total=False, level=0, parent_ratio=1.0, file=None):
    """Print the ratio tree of ``locusts`` (Locust classes or tasks) to ``file`` (stdout)."""
    ratio_dict = get_task_ratio_dict(locusts, total=total, parent_ratio=parent_ratio)
    out = sys.stdout if file is None else file
    for line in format_task_ratio(ratio_dict, level):
        print(line.rstrip(), file=out)
