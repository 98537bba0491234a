# "Tags and TaskSets": a tagged TaskSet tags its tasks; a tagged task inside an untagged TaskSet.
from locust import HttpUser, TaskSet, constant, tag, task


@tag("forum")
class Forum(TaskSet):
    @task
    def read(self):
        self.client.get("/forum/read")

    @task
    def leave(self):
        self.interrupt()


class Shop(TaskSet):
    @tag("forum")
    @task
    def tagged_inside(self):
        self.client.get("/shop/tagged")

    @task
    def untagged(self):
        self.client.get("/shop/untagged")

    @tag("forum")
    @task
    def leave(self):
        self.interrupt()


class MixedUser(HttpUser):
    wait_time = constant(0.05)
    tasks = [Forum, Shop]

    @task
    def home(self):
        self.client.get("/home")
