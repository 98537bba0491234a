# "wait_time attribute": constant, between, constant_throughput, constant_pacing, a wait_time method.
from locust import HttpUser, User, between, constant, constant_pacing, constant_throughput, task


class MyUser(User):
    """No client: a User whose task only prints (0.5..10 s in the docs)."""

    wait_time = between(0.5, 1)

    @task
    def my_task(self):
        print("executing my_task")


class ConstantUser(HttpUser):
    wait_time = constant(0.2)

    @task
    def t(self):
        self.client.get("/constant")


class ThroughputUser(HttpUser):
    wait_time = constant_throughput(5)

    @task
    def t(self):
        self.client.get("/throughput")


class PacingUser(HttpUser):
    wait_time = constant_pacing(0.25)

    @task
    def t(self):
        self.client.get("/pacing")


class IncreasingWaitUser(HttpUser):
    """Sleeps 0.1 s, then 0.2, 0.3, ... (1, 2, 3 s in the docs)."""

    last_wait_time = 0

    def wait_time(self):
        self.last_wait_time += 0.1
        return self.last_wait_time

    @task
    def t(self):
        self.client.get("/increasing")
