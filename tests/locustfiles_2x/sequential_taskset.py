# "SequentialTaskSet class": /1 .. /4 in order, a function in the tasks list.
from locust import HttpUser, SequentialTaskSet, constant, task


def function_task(taskset):
    taskset.client.get("/3")


class SequenceOfTasks(SequentialTaskSet):
    @task
    def first_task(self):
        self.client.get("/1")
        self.client.get("/2")

    # you can still use the tasks attribute to specify a list or dict of tasks
    tasks = [function_task]

    @task
    def last_task(self):
        self.client.get("/4")


class SequenceUser(HttpUser):
    wait_time = constant(0.02)
    tasks = [SequenceOfTasks]
