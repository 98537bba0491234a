"""The 2.x user API: users, tasks, tags and wait functions.

``from locust import ...`` re-exports everything a locustfile needs; these
modules are where Locust 2.x keeps them (``locust.user.users``,
``locust.user.task``, ``locust.user.wait_time``,
``locust.user.sequential_taskset``).
"""

from .sequential_taskset import SequentialTaskSet
from .task import TaskSet, tag, task
from .users import FastHttpUser, HttpUser, User
from .wait_time import between, constant, constant_pacing, constant_throughput

__all__ = ["User", "HttpUser", "FastHttpUser", "TaskSet", "SequentialTaskSet", "task", "tag",
           "between", "constant", "constant_pacing", "constant_throughput"]
