"""The quick start locustfile (Locust 0.7.2 docs, chapter 3), with ``@task``.

Each simulated user logs in once, then views the index page twice as often
as its profile, waiting 5 to 9 seconds between tasks. Run it against the
bundled demo site::

    python examples/demo_target.py --port 8080 &
    locust -f examples/locustfile.py --host http://127.0.0.1:8080

and open http://127.0.0.1:8089, or headless for 30 seconds with 20 users::

    locust -f examples/locustfile.py --host http://127.0.0.1:8080 --no-web -c 20 -r 5 -t 30s
"""

from locust import HttpLocust, TaskSet, task


class UserBehavior(TaskSet):
    def on_start(self):
        """ on_start is called when a Locust start before any task is scheduled """
        self.login()

    def login(self):
        self.client.post("/login", {"username": "ellen_key", "password": "education"})

    @task(2)
    def index(self):
        self.client.get("/")

    @task(1)
    def profile(self):
        self.client.get("/profile")


class WebsiteUser(HttpLocust):
    task_set = UserBehavior
    min_wait = 5000
    max_wait = 9000
