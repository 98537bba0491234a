"""The locustfile ``make demo`` runs: the quick start's users, a little busier.

Like ``locustfile.py`` (log in, then index and profile), plus the about
page and blog posts (grouped under one name with ``name=``), and 0.2 to 1
second waits instead of 5 to 9, so that a 15 second demo makes a few
hundred requests. Run it yourself against the demo site::

    python examples/demo_target.py --port 8080 &
    locust -f examples/demo_locustfile.py --host http://127.0.0.1:8080
"""

import random

from locust import HttpLocust, TaskSet, task


class UserBehavior(TaskSet):
    def on_start(self):
        self.client.post("/login", {"username": "ellen_key", "password": "education"})

    @task(4)
    def index(self):
        self.client.get("/")

    @task(2)
    def profile(self):
        self.client.get("/profile")

    @task(1)
    def about(self):
        self.client.get("/about/")

    @task(2)
    def blog(self):
        self.client.get("/blog?id=%d" % random.randint(1, 50), name="/blog?id=[id]")


class WebsiteUser(HttpLocust):
    task_set = UserBehavior
    min_wait = 200
    max_wait = 1000
