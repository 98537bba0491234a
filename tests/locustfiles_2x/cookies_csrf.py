# "HttpSession" cookies as requests' jar: read a CSRF token cookie, set one (client feature).
from locust import HttpUser, constant, task


class CsrfUser(HttpUser):
    wait_time = constant(0.1)

    def on_start(self):
        self.client.get("/login")
        self.client.cookies.set("csrftoken", "token-from-cookie")
        self.csrftoken = self.client.cookies["csrftoken"]
        assert "csrftoken" in self.client.cookies
        assert self.client.cookies.get_dict()["csrftoken"] == self.csrftoken

    @task
    def post(self):
        self.client.headers["X-CSRFToken"] = self.csrftoken
        self.client.post("/form", {"csrfmiddlewaretoken": self.csrftoken})
