# "TaskSet class": a TaskSet in tasks, an inline @task TaskSet, interrupt(), TaskSet wait_time.
from locust import HttpUser, TaskSet, constant, task


class ForumSection(TaskSet):
    wait_time = constant(0.05)

    @task(10)
    def view_thread(self):
        self.client.get("/forum/thread")

    @task
    def create_thread(self):
        self.client.post("/forum/thread")

    @task
    def stop(self):
        self.interrupt()


class LoggedInUser(HttpUser):
    wait_time = constant(0.1)
    tasks = {ForumSection: 2}

    @task
    def my_task(self):
        self.client.get("/")


class RegisteredUser(HttpUser):
    wait_time = constant(0.05)

    @task
    class Forum(TaskSet):
        @task(5)
        def view_thread(self):
            self.client.get("/forum")
            assert self.user is self.parent

        @task(1)
        def stop(self):
            self.interrupt()

    @task
    def frontpage(self):
        self.client.get("/front")
