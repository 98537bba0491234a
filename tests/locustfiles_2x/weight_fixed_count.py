# "weight and fixed_count attributes": 3:1 weights, an admin user with fixed_count = 1.
from locust import HttpUser, constant, task


class WebUser(HttpUser):
    weight = 3
    wait_time = constant(0.1)

    @task
    def browse(self):
        self.client.get("/web")


class MobileUser(HttpUser):
    weight = 1
    wait_time = constant(0.1)

    @task
    def browse(self):
        self.client.get("/mobile")


class AdminUser(HttpUser):
    wait_time = constant(600)
    fixed_count = 1

    @task
    def restart_app(self):
        self.client.post("/admin/restart")
