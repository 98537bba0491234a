# Latency workload: 10 users, one GET "/" every 20 ms each; every response time is
# written to $LATENCY_OUT (one float in ms per line) when the run quits.
# LATENCY_CLIENT=http uses HttpLocust instead of FastHttpLocust.
import os

from locust import HttpLocust, TaskSet, events, task
from locust.contrib.fasthttp import FastHttpLocust

times = []
events.request_success += lambda response_time, **_kw: times.append(response_time)


def _write():
    with open(os.environ.get("LATENCY_OUT", "/tmp/latency.txt"), "w") as out:
        out.write("\n".join("%.4f" % t for t in times))


events.quitting += _write


class Hammer(TaskSet):
    @task
    def root(self):
        self.client.get("/")


class User(HttpLocust if os.environ.get("LATENCY_CLIENT") == "http" else FastHttpLocust):
    task_set = Hammer
    min_wait = 20
    max_wait = 20
