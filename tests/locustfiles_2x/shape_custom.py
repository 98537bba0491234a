# "Custom load shapes": user count from the run time, then None to stop (600 s in the docs).
from locust import HttpUser, LoadTestShape, constant, task


class MyCustomShape(LoadTestShape):
    time_limit = 4
    spawn_rate = 20

    def tick(self):
        run_time = self.get_run_time()
        if run_time < self.time_limit:
            # 2 users per started second (the docs round to the hundred)
            return (2 * (int(run_time) + 1), self.spawn_rate)
        return None


class MyBaseShape(LoadTestShape):
    abstract = True

    def tick(self):
        return None


class MyUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def t(self):
        self.client.get("/")
