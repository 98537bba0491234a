"""The exceptions a locustfile may raise or catch."""

__all__ = [
    "LocustError", "ResponseError", "CatchResponseError", "InterruptTaskSet",
    "StopLocust", "RescheduleTask", "RescheduleTaskImmediately",
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
    """Raised in a task, ends that user quietly."""


class RescheduleTask(Exception):
    """Internal: the parent should wait, then pick a new task."""


class RescheduleTaskImmediately(Exception):
    """Internal: the parent should pick a new task at once."""
