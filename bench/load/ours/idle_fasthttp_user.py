# Mostly idle FastHttpLocust users: one request every 5 s (compare with upstream/idle_fasthttp_user.py).
from locust import TaskSet, task
from locust.contrib.fasthttp import FastHttpLocust


class Browse(TaskSet):
    @task
    def root(self):
        self.client.get("/")


class User(FastHttpLocust):
    task_set = Browse
    min_wait = 5000
    max_wait = 5000
