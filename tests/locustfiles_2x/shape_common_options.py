# "Reusing common options in custom shapes": use_common_options, run_time and spawn_rate from the options.
from locust import HttpUser, LoadTestShape, constant, task


class MyCustomShape(LoadTestShape):
    use_common_options = True

    def tick(self):
        run_time = self.get_run_time()
        if run_time < self.runner.environment.parsed_options.run_time:
            user_count = 2 + int(run_time)
            return (user_count, self.runner.environment.parsed_options.hatch_rate)
        return None


class MyUser(HttpUser):
    wait_time = constant(0.1)

    @task
    def t(self):
        self.client.get("/")
