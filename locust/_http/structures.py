"""Data structures the HTTP clients share."""

from collections.abc import Mapping, MutableMapping

__all__ = ["CaseInsensitiveDict"]


class CaseInsensitiveDict(MutableMapping):
    """A dict whose keys compare case-insensitively and keep their spelling.

    Used for ``HttpSession.headers``. It remembers a version number bumped on
    every change, so the session flattens it into a plain dict once per
    change rather than once per request.
    """

    __slots__ = ("_store", "_version", "_flat")

    def __init__(self, data=None, **kwargs):
        self._store = {}
        self._version = 0
        self._flat = None
        self.update(data or {}, **kwargs)

    def __setitem__(self, key, value):
        self._store[key.lower()] = (key, value)
        self._version += 1

    def __getitem__(self, key):
        return self._store[key.lower()][1]

    def __delitem__(self, key):
        del self._store[key.lower()]
        self._version += 1

    def __iter__(self):
        return (key for key, _ in self._store.values())

    def __len__(self):
        return len(self._store)

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._store

    def lower_items(self):
        """(lower-case key, value) pairs."""
        return ((lower, kv[1]) for lower, kv in self._store.items())

    def flat(self):
        """(plain dict without None values, {lower-case key: key}); cached per version."""
        flat = self._flat
        if flat is None or flat[0] != self._version:
            plain = {}
            lower = {}
            for low, (key, value) in self._store.items():
                if value is not None:
                    plain[key] = value
                    lower[low] = key
            flat = self._flat = (self._version, plain, lower)
        return flat[1], flat[2]

    def copy(self):
        """A new CaseInsensitiveDict with the same items."""
        return CaseInsensitiveDict(self._store.values())

    def __eq__(self, other):
        if isinstance(other, Mapping):
            other = CaseInsensitiveDict(other)
        else:
            return NotImplemented
        return dict(self.lower_items()) == dict(other.lower_items())

    def __repr__(self):
        return str(dict(self.items()))
