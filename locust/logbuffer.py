"""The last few hundred log lines of this process, for the dashboard's Logs tab.

:class:`LogBuffer` is a logging handler that keeps records in a bounded
deque (the oldest go first), each with a sequence number so a page can ask
for the lines after the last one it has. :func:`install` puts one on the
root logger (once); the dashboard does it when it starts.
"""

import collections
import logging

__all__ = ["LogBuffer", "install", "MAX_LINES"]

#: Lines kept.
MAX_LINES = 500


class LogBuffer(logging.Handler):
    """Keeps the last ``capacity`` records as dicts: ``{"id", "time", "level",
    "logger", "message"}`` (the message with its traceback, if any)."""

    def __init__(self, capacity=MAX_LINES, level=logging.NOTSET):
        super().__init__(level)
        self.lines = collections.deque(maxlen=capacity)
        self._count = 0

    def emit(self, record):
        """Store one record (never raises: a log call must not fail)."""
        try:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            self._count += 1
            self.lines.append({"id": self._count, "time": record.created,
                               "level": record.levelname, "logger": record.name,
                               "message": message})
        except Exception:
            self.handleError(record)

    def since(self, last_id=0):
        """The records after the one numbered ``last_id`` (all with 0)."""
        return [line for line in self.lines if line["id"] > last_id]


_installed = []


def install():
    """The root logger's LogBuffer, added on the first call."""
    if not _installed:
        handler = LogBuffer()
        logging.getLogger().addHandler(handler)
        _installed.append(handler)
    return _installed[0]
