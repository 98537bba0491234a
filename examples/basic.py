"""The quick start's other form: tasks as plain functions in a ``tasks`` dict.

A task is any callable taking the running TaskSet; the dict's values are
weights (index runs twice as often as profile). Equivalent to
``locustfile.py``, which uses ``@task``. Run it against the demo site::

    python examples/demo_target.py --port 8080 &
    locust -f examples/basic.py --host http://127.0.0.1:8080 --no-web -c 10 -r 5 -t 30s
"""

from locust import HttpLocust, TaskSet


def login(l):
    l.client.post("/login", {"username": "ellen_key", "password": "education"})


def index(l):
    l.client.get("/")


def profile(l):
    l.client.get("/profile")


class UserBehavior(TaskSet):
    tasks = {index: 2, profile: 1}

    def on_start(self):
        login(self)


class WebsiteUser(HttpLocust):
    task_set = UserBehavior
    min_wait = 1000
    max_wait = 3000
