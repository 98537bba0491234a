# "Event hooks": a request listener with the full 2.x signature, and a 0.7 pair listener beside it.
from locust import HttpUser, constant, events, task

COUNTS = {"request": 0, "success": 0, "failure": 0}


@events.request.add_listener
def my_request_handler(request_type, name, response_time, response_length, response,
                       context, exception, start_time, url, **kwargs):
    COUNTS["request"] += 1
    if exception:
        print(f"Request to {name} failed with exception {exception}")
    else:
        print(f"Successfully made a request to: {name}")
        print(f"The response was {response.text if response is not None else None}")


def on_success(request_type, name, response_time, response_length, **kw):
    COUNTS["success"] += 1


def on_failure(request_type, name, response_time, exception, **kw):
    COUNTS["failure"] += 1


events.request_success += on_success
events.request_failure += on_failure


@events.quitting.add_listener
def check(environment, **kw):
    total = environment.stats.total
    print("EVENT COUNTS request=%(request)d success=%(success)d failure=%(failure)d" % COUNTS)
    assert COUNTS["request"] == COUNTS["success"] + COUNTS["failure"]
    assert COUNTS["success"] == total.num_requests and COUNTS["failure"] == total.num_failures


class MyUser(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def ok(self):
        self.client.get("/ok")

    @task
    def fails(self):
        self.client.get("/fail")
