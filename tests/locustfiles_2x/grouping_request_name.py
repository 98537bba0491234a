# "Grouping requests": client.request_name, client.rename_request(), request_meta (client features).
from locust import HttpUser, constant, task


class RenamingUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def request_name(self):
        self.client.request_name = "/blog?id=[id]"
        for i in range(3):
            self.client.get("/blog?id=%i" % i)
        self.client.request_name = None

    @task
    def multiple_groupings_example(self):
        with self.client.rename_request("/blog?id=[id]"):
            for i in range(3):
                self.client.get("/blog?id=%i" % i)
        with self.client.rename_request("/article?id=[id]"):
            for i in range(3):
                self.client.get("/article?id=%i" % i)

    @task
    def rename_from_response(self):
        with self.client.get("/json", catch_response=True) as resp:
            resp.request_meta["name"] = resp.json()["name"]
