"""Failures grouped by kind: the error text and :class:`StatsError`.

:mod:`locust.stats` counts each failure once per (method, name, error text).
"""

import hashlib
import json
import re

__all__ = ["StatsError", "error_text"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def error_text(error):
    """The text errors are grouped by.

    A str as given; an exception as ``Name('str of it')``, e.g.
    ``CatchResponseError('Got wrong response')`` (str, not repr, reads
    better for multi-argument errors). " at 0x..." addresses are removed,
    or every connection error would be a kind of its own.
    """
    if isinstance(error, str):
        text = error
    elif isinstance(error, BaseException):
        text = "%s(%r)" % (type(error).__name__, str(error))
    else:
        text = repr(error)
    return _ADDRESS.sub("", text)


class StatsError:
    """One kind of failure: method, name, error text, ``occurences`` (the
    original's spelling, kept: the web JSON and the wire form use it)."""

    def __init__(self, method, name, error, occurences=0):
        self.method = method
        self.name = name
        self.error = error_text(error)
        self.occurences = occurences

    @classmethod
    def key(cls, method, name, error):
        """The str key errors are grouped by (an md5 of method, name, text)."""
        raw = json.dumps([method, name, error_text(error)])
        return hashlib.md5(raw.encode("utf-8"), usedforsecurity=False).hexdigest()

    def occured(self, count=1):
        """Count ``count`` more occurences."""
        self.occurences += count

    def to_name(self):
        """``"METHOD name: error"``, as the error report shows it."""
        return "%s %s: %s" % (self.method, self.name, self.error)

    def to_dict(self):
        """The wire / JSON form: method, name, error, occurences."""
        return {"method": self.method, "name": self.name, "error": self.error,
                "occurences": self.occurences}

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`. Raises KeyError on a missing field."""
        return cls(data["method"], data["name"], data["error"], data["occurences"])
