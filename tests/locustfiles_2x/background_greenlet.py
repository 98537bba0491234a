# "Run a background greenlet": the fail-ratio checker, with locust.engine instead of gevent.
import time

from locust import HttpUser, constant, events, task
from locust.engine import spawn
from locust.runners import STATE_CLEANUP, STATE_STOPPED, STATE_STOPPING, LocalRunner, MasterRunner


def checker(environment):
    while environment.runner.state not in [STATE_STOPPING, STATE_STOPPED, STATE_CLEANUP]:
        time.sleep(0.2)
        if environment.runner.stats.total.fail_ratio > 0.2:
            print(f"fail ratio was {environment.runner.stats.total.fail_ratio}, quitting")
            environment.runner.quit()
            return


@events.init.add_listener
def on_locust_init(environment, **_kwargs):
    # dont run this on workers, we only care about the aggregated numbers
    if isinstance(environment.runner, (MasterRunner, LocalRunner)):
        spawn(checker, environment)


class FailingUser(HttpUser):
    wait_time = constant(0.05)

    @task
    def t(self):
        self.client.get("/fail")
