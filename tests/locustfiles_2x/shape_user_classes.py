# "Restricting which user types to spawn in each tick": stages with user_classes.
from locust import HttpUser, LoadTestShape, constant, task


class UserA(HttpUser):
    wait_time = constant(0.1)

    @task
    def a(self):
        self.client.get("/a")


class UserB(HttpUser):
    wait_time = constant(0.1)

    @task
    def b(self):
        self.client.get("/b")


class StagesShapeWithCustomUsers(LoadTestShape):
    stages = [
        {"duration": 1, "users": 2, "spawn_rate": 10, "user_classes": [UserA]},
        {"duration": 2, "users": 4, "spawn_rate": 10, "user_classes": [UserA, UserB]},
        {"duration": 3, "users": 4, "spawn_rate": 10, "user_classes": [UserB]},
        {"duration": 4, "users": 4, "spawn_rate": 10},
    ]

    def tick(self):
        run_time = self.get_run_time()
        for stage in self.stages:
            if run_time < stage["duration"]:
                try:
                    tick_data = (stage["users"], stage["spawn_rate"], stage["user_classes"])
                except KeyError:
                    tick_data = (stage["users"], stage["spawn_rate"])
                return tick_data
        return None
