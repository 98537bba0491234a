"""The exceptions a locustfile may raise or catch."""

__all__ = [
    "LocustError", "ResponseError", "CatchResponseError", "InterruptTaskSet",
    "StopLocust", "StopUser", "StopTest", "RescheduleTask", "RescheduleTaskImmediately",
    "MissingWaitTimeError", "RunnerAlreadyExistsError",
]


class LocustError(Exception):
    """Base class of Locust's own errors (a misuse of the API)."""


class ResponseError(Exception):
    """A response was not what the task expected.

    Raised inside a ``catch_response`` block it marks the request as failed
    and is swallowed.
    """


class CatchResponseError(ResponseError):
    """The failure given as a string to ``ResponseContextManager.failure()``."""


class InterruptTaskSet(Exception):
    """Hands control from a nested TaskSet back to its parent.

    ``reschedule=True`` makes the parent pick its next task at once;
    ``False`` makes it wait first.
    """

    def __init__(self, reschedule=True):
        super().__init__(reschedule)
        self.reschedule = reschedule


class StopLocust(Exception):
    """Raised in a task, ends that user quietly (its ``on_stop`` runs)."""


#: The 2.x name of :class:`StopLocust` (the same class: either is caught as the other).
StopUser = StopLocust


class StopTest(Exception):
    """Raised in a task or ``on_start``: ends the whole test (2.x)."""


class MissingWaitTimeError(LocustError):
    """A user class has no way to compute its wait between tasks."""


class RunnerAlreadyExistsError(LocustError):
    """An Environment already has a runner."""


class RescheduleTask(Exception):
    """Internal: the parent should wait, then pick a new task."""


class RescheduleTaskImmediately(Exception):
    """Internal: the parent should pick a new task at once."""
