# "Configuration": a json() classmethod for the class picker, statistics settings in locust.stats.
import locust.stats
from locust import HttpUser, constant, task

locust.stats.CSV_STATS_INTERVAL_SEC = 5
locust.stats.CONSOLE_STATS_INTERVAL_SEC = 15


class Example(HttpUser):
    some_custom_arg: str = "example"
    wait_time = constant(0.1)

    @task
    def example_task(self):
        self.client.get(f"/example/{self.some_custom_arg}")

    @classmethod
    def json(cls):
        return {"host": cls.host, "some_custom_arg": cls.some_custom_arg}
