# The same workload as http_user.py in the 2.x API: HttpUser, no think time.
from locust import HttpUser, constant, task


class User(HttpUser):
    wait_time = constant(0)

    @task
    def root(self):
        self.client.get("/")
