"""A small cooperative runtime: greenlets scheduled by a hub on ``selectors``.

Nothing here knows about load testing.  The hub runs in one OS thread; every
greenlet, the main one included, switches to it when it waits.  Public API::

    spawn, spawn_later, sleep, Greenlet, GreenletExit, joinall, killall,
    Group, Timeout, Event, Queue, LifoQueue, Semaphore, Lock, get_hub

Sockets live in ``locust.engine.net`` (TLS in ``locust.engine.tls``), monkey patching in
``locust.engine.monkey``, ZeroMQ in ``locust.engine.zmq`` and the WSGI
server in ``locust.engine.wsgi``; import those modules directly.
"""

from .greenlets import Greenlet, GreenletExit, Group, Timeout, joinall, killall, sleep, spawn, spawn_later
from .hub import ConcurrentWaitError, LoopExit, get_hub
from .sync import Empty, Event, Full, LifoQueue, Lock, Queue, Semaphore

__all__ = [
    "spawn", "spawn_later", "sleep", "Greenlet", "GreenletExit", "joinall",
    "killall", "Group", "Timeout", "Event", "Queue", "LifoQueue", "Semaphore",
    "Lock", "Empty", "Full", "get_hub", "LoopExit", "ConcurrentWaitError",
]
