"""Event hooks: the points where locustfiles and Locust's own parts listen in.

A hook is an :class:`EventHook`; listeners are added with ``+=``, removed
with ``-=`` and called in the order they were added, with keyword arguments
only, by ``fire(**kwargs)``.
"""

__all__ = [
    "EventHook", "request_success", "request_failure", "locust_error",
    "report_to_master", "slave_report", "hatch_complete", "quitting",
    "master_start_hatching", "master_stop_hatching",
    "locust_start_hatching", "locust_stop_hatching",
]


class EventHook:
    """A list of listeners fired together.

    ::

        my_event = EventHook()
        def on_my_event(a, b, **kw):
            print("Event was fired with arguments: %s, %s" % (a, b))
        my_event += on_my_event
        my_event.fire(a="foo", b="bar")

    An exception raised by a listener propagates to the caller of ``fire``
    and the listeners after it are not called.
    """

    __slots__ = ("_handlers",)

    def __init__(self):
        self._handlers = []

    def __iadd__(self, handler):
        self._handlers.append(handler)
        return self

    def __isub__(self, handler):
        """Remove ``handler``; raises ValueError if it was never added."""
        self._handlers.remove(handler)
        return self

    def __len__(self):
        return len(self._handlers)

    def fire(self, **kwargs):
        """Call every listener with ``kwargs``, in the order they were added."""
        for handler in self._handlers:
            handler(**kwargs)


#: Fired when a request completed successfully.
#: Arguments: request_type, name, response_time (ms, float), response_length (bytes).
request_success = EventHook()

#: Fired when a request failed.
#: Arguments: request_type, name, response_time (ms, float), exception.
request_failure = EventHook()

#: Fired when a task raised. Arguments: locust_instance, exception, tb.
locust_error = EventHook()

#: Fired on a slave before each report; listeners may add keys to ``data``
#: ("stats", "errors" and "user_count" are Locust's own).
#: Arguments: client_id, data.
report_to_master = EventHook()

#: Fired on the master for each report a slave sends. Arguments: client_id, data.
slave_report = EventHook()

#: Fired when every user of a hatch is running. Arguments: user_count.
hatch_complete = EventHook()

#: Fired once when Locust is about to exit. No arguments.
quitting = EventHook()

#: Fired on the master when it starts or stops hatching. No arguments.
master_start_hatching = EventHook()
master_stop_hatching = EventHook()

#: Fired when a runner starts or stops hatching users. No arguments.
locust_start_hatching = EventHook()
locust_stop_hatching = EventHook()
