# "Writing a locustfile": wait_time = between(), weighted @task, name=, on_start login, time.sleep.
import time

from locust import HttpUser, between, task


class QuickstartUser(HttpUser):
    wait_time = between(0.1, 0.3)

    @task
    def hello_world(self):
        self.client.get("/hello")
        self.client.get("/world")

    @task(3)
    def view_items(self):
        for item_id in range(4):
            self.client.get(f"/item?id={item_id}", name="/item")
            time.sleep(0.05)  # a blocking sleep: cooperative under locust

    def on_start(self):
        self.client.post("/login", json={"username": "foo", "password": "bar"})
