# "Increase performance": FastHttpUser, and its rest() helper.
from locust import FastHttpUser, constant, task


class MyUser(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def index(self):
        self.client.get("/")

    @task
    def t(self):
        with self.rest("POST", "/json", json={"foo": 1}) as resp:
            if resp.js is None:
                pass  # no need to do anything, already marked as failed
            elif "bar" not in resp.js:
                resp.failure(f"'bar' missing from response {resp.text}")
            elif resp.js["bar"] != 42:
                resp.failure(f"'bar' had an unexpected value: {resp.js['bar']}")
