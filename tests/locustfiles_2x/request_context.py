# "Request context": context= on a request, and a User.context() method (client feature).
from locust import HttpUser, constant, events, task


class ContextUser(HttpUser):
    wait_time = constant(0.1)

    def context(self):
        return {"username": self.username}

    @task
    def t(self):
        self.username = "foo"
        self.client.post("/login", json={"username": self.username})
        self.client.get("/other_request", context={"username": "foo"})

    @events.request.add_listener
    def on_request(context, **kwargs):
        print(context["username"])
