# "Print HTTP communication": http.client debuglevel and the urllib3 logger at DEBUG.
import logging
from http.client import HTTPConnection

from locust import HttpUser, constant, task

HTTPConnection.debuglevel = 1
logging.basicConfig()
logging.getLogger().setLevel(logging.DEBUG)
requests_log = logging.getLogger("requests.packages.urllib3")
requests_log.setLevel(logging.DEBUG)
requests_log.propagate = True


class MyUser(HttpUser):
    wait_time = constant(0.2)

    @task
    def t(self):
        self.client.get("/")
