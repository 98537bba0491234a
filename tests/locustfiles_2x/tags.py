# "@tag decorator": run with --tags / --exclude-tags; each task requests its own path.
from locust import HttpUser, constant, tag, task


class TaggedUser(HttpUser):
    wait_time = constant(0.05)

    @tag("tag1")
    @task
    def task1(self):
        self.client.get("/task1")

    @tag("tag1", "tag2")
    @task
    def task2(self):
        self.client.get("/task2")

    @tag("tag3")
    @task
    def task3(self):
        self.client.get("/task3")

    @task
    def task4(self):
        self.client.get("/task4")
