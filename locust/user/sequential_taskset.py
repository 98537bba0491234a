"""``SequentialTaskSet`` (2.x): a TaskSet that runs its tasks in the order declared."""

from ..core import TaskSet, TaskSetMeta
from ..exception import LocustError

__all__ = ["SequentialTaskSet", "SequentialTaskSetMeta"]


def _repeat(item, weight, owner):
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
        raise LocustError("Task weight must be a non-negative int, got %r in %s" % (weight, owner))
    return [item] * weight


class SequentialTaskSetMeta(TaskSetMeta):
    """Resolves ``tasks`` in declaration order.

    The base classes' tasks come first; then, in the order they appear in
    the class body, ``@task`` methods (repeated by their weight) and the
    items of a ``tasks`` list or dict (a dict's value repeats its task).
    """

    def __new__(mcs, classname, bases, namespace):
        ordered = []
        for base in bases:
            ordered.extend(getattr(base, "tasks", None) or ())
        for key, value in namespace.items():
            if key == "tasks":
                if isinstance(value, dict):
                    for item, weight in value.items():
                        ordered.extend(_repeat(item, weight, classname))
                elif isinstance(value, (list, tuple)):
                    for item in value:
                        if isinstance(item, tuple) and len(item) == 2:
                            ordered.extend(_repeat(item[0], item[1], classname))
                        else:
                            ordered.append(item)
                else:
                    raise LocustError("tasks of %s must be a list or a dict, got %s"
                                      % (classname, type(value).__name__))
            elif getattr(value, "locust_task_weight", None) is not None and (
                    not isinstance(value, type) or "locust_task_weight" in vars(value)):
                ordered.extend(_repeat(value, value.locust_task_weight, classname))
        for item in ordered:
            if not callable(item):
                raise LocustError("tasks of %s: %r is not callable" % (classname, item))
        namespace["tasks"] = ordered
        # type.__new__, not TaskSetMeta's: the order is already resolved.
        return type.__new__(mcs, classname, bases, namespace)


class SequentialTaskSet(TaskSet, metaclass=SequentialTaskSetMeta):
    """A TaskSet whose tasks run one after another, in declaration order, then again.

    Weights repeat a task in the sequence (``{a: 2, b: 1}`` runs a, a, b).
    Nesting works both ways with TaskSet. Like any TaskSet it runs until a
    task calls ``interrupt()`` (or, as a user's only task, forever).
    """

    def __init__(self, parent):
        super().__init__(parent)
        self._next_index = 0

    def get_next_task(self):
        """The next task of the sequence. Raises LocustError when there is none."""
        tasks = self.tasks
        if not tasks:
            raise LocustError("No tasks defined in %s: use the @task decorator or set the "
                              "tasks attribute of the SequentialTaskSet" % type(self).__name__)
        index = self._next_index % len(tasks)
        self._next_index = index + 1
        return tasks[index]
