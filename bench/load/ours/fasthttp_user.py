# Ours in the seed's API: FastHttpLocust, no think time (compare with upstream/fasthttp_user.py).
from locust import TaskSet, task
from locust.contrib.fasthttp import FastHttpLocust


class Hammer(TaskSet):
    @task
    def root(self):
        self.client.get("/")


class User(FastHttpLocust):
    task_set = Hammer
    min_wait = 0
    max_wait = 0
