# "Validating responses": catch_response failure()/success(), RescheduleTask, REST/JSON checks.
from json import JSONDecodeError

from locust import HttpUser, constant, task
from locust.exception import RescheduleTask


class ValidatingUser(HttpUser):
    wait_time = constant(0.05)

    @task
    def wrong_content(self):
        with self.client.get("/", catch_response=True) as response:
            if response.text != "Success":
                response.failure("Got wrong response")
            elif response.elapsed.total_seconds() > 0.5:
                response.failure("Request took too long")

    @task
    def expected_404(self):
        with self.client.get("/missing", catch_response=True) as response:
            if response.status_code == 404:
                response.success()

    @task
    def reschedule(self):
        # An exception other than a failure leaves the request unreported, on purpose.
        with self.client.get("/missing-rescheduled", catch_response=True) as response:
            if response.status_code == 404:
                raise RescheduleTask()

    @task
    def rest(self):
        with self.client.post("/json", json={"foo": 42, "bar": None}, catch_response=True) as response:
            try:
                if response.json()["greeting"] != "hello":
                    response.failure("Did not get expected value in greeting")
            except JSONDecodeError:
                response.failure("Response could not be decoded as JSON")
            except KeyError:
                response.failure("Response did not contain expected key 'greeting'")
