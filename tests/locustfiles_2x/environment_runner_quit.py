# "environment attribute": a task stops the whole run with self.environment.runner.quit().
from locust import HttpUser, constant, task


class QuitterUser(HttpUser):
    wait_time = constant(0.05)
    done = 0

    @task
    def work(self):
        self.client.get("/work")
        type(self).done += 1
        if type(self).done >= 20:
            self.environment.runner.quit()
