# "Connection reuse": a request with Connection: close, then a new connection; close() the session.
from locust import HttpUser, constant, task


class MyUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def connection_reuse(self):
        self.client.get("/", headers={"Connection": "close"})
        self.client.get("/new_connection_here")

    @task
    def close_session(self):
        self.client.get("/")
        self.client.close()
        self.client.get("/new_connection_here")
