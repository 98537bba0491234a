# "on_start and on_stop methods", on users and on TaskSets.
from locust import HttpUser, TaskSet, constant, task


class Shop(TaskSet):
    def on_start(self):
        self.client.get("/shop/enter")

    def on_stop(self):
        self.client.get("/shop/leave")

    @task(4)
    def browse(self):
        self.client.get("/shop/item")

    @task
    def leave(self):
        self.interrupt()


class LoggedInUser(HttpUser):
    wait_time = constant(0.05)
    tasks = [Shop]

    def on_start(self):
        self.client.post("/login", json={"username": "foo", "password": "bar"})

    def on_stop(self):
        self.client.post("/logout")
