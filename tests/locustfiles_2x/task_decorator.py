# "@task decorator" and "tasks attribute": weights, a plain function as a task.
from locust import HttpUser, User, between, constant, task


class PrintingUser(User):
    wait_time = constant(1)

    @task
    def my_task(self):
        print("User instance (%r) executing my_task" % self)


class WeightedUser(HttpUser):
    wait_time = between(0.05, 0.15)

    @task(3)
    def task1(self):
        self.client.get("/task1")

    @task(6)
    def task2(self):
        self.client.get("/task2")


def my_task(user):
    user.client.get("/function-task")


class FunctionTaskUser(HttpUser):
    tasks = [my_task]
    wait_time = constant(0.1)


def another_task(user):
    user.client.get("/another-task")


class DictTasksUser(HttpUser):
    tasks = {my_task: 3, another_task: 1}
    wait_time = constant(0.1)
