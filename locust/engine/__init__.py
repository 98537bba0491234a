"""A small cooperative runtime: greenlets scheduled by a hub on ``selectors``.

Nothing here knows about load testing.  The hub runs in one OS thread; every
greenlet, the main one included, switches to it when it waits.  Public API::

    spawn, spawn_later, sleep, Greenlet, GreenletExit, joinall, killall,
    Group, Timeout, throw_now, getcurrent,
    Event, Condition, Queue, LifoQueue, Semaphore, Lock, Empty, Full,
    signal_handler, SignalHandler,
    get_hub, get_hub_if_exists, Hub, SYSTEM_ERROR, LoopExit, ConcurrentWaitError,
    clock, call_later, run_callback, io_waiters (the process hub's, as functions)

Sockets live in ``locust.engine.net`` (TLS in ``locust.engine.tls``), monkey
patching in ``locust.engine.monkey``, ZeroMQ in ``locust.engine.zmq``, the
WSGI server in ``locust.engine.wsgi`` and a hub on a fake clock for tests in
``locust.engine.testing``; import those modules directly.
"""

from .greenlets import (
    Greenlet,
    GreenletExit,
    Group,
    Timeout,
    joinall,
    killall,
    sleep,
    spawn,
    spawn_later,
    throw_now,
)
from .hub import (
    SYSTEM_ERROR,
    ConcurrentWaitError,
    Hub,
    LoopExit,
    call_later,
    clock,
    get_hub,
    get_hub_if_exists,
    getcurrent,
    io_waiters,
    run_callback,
)
from .signals import SignalHandler, signal_handler
from .sync import Condition, Empty, Event, Full, LifoQueue, Lock, Queue, Semaphore

__all__ = [
    "spawn", "spawn_later", "sleep", "Greenlet", "GreenletExit", "joinall",
    "killall", "Group", "Timeout", "throw_now", "getcurrent",
    "Event", "Condition", "Queue", "LifoQueue", "Semaphore", "Lock", "Empty", "Full",
    "signal_handler", "SignalHandler",
    "get_hub", "get_hub_if_exists", "Hub", "SYSTEM_ERROR", "LoopExit", "ConcurrentWaitError",
    "clock", "call_later", "run_callback", "io_waiters",
]
