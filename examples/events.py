"""Extending Locust with event hooks, and a page of your own in the web UI.

Listeners on ``events.request_success`` and ``events.request_failure``
count the requests and the content received. In distributed mode a slave
sends its counts to the master with each report (``report_to_master``) and
the master adds them up (``slave_report``). The total is served at
http://127.0.0.1:8089/content_length (``web.app`` is the dashboard's
bottle application) and printed when Locust quits (``quitting``). Run it
against the demo site::

    python examples/demo_target.py --port 8080 &
    locust -f examples/events.py --host http://127.0.0.1:8080
    locust -f examples/events.py --host http://127.0.0.1:8080 --no-web -c 5 -t 20s
"""

from locust import HttpLocust, TaskSet, events, task, web


class MyTaskSet(TaskSet):
    @task(2)
    def index(self):
        self.client.get("/")

    @task(1)
    def about(self):
        self.client.get("/about/")


class WebsiteUser(HttpLocust):
    min_wait = 200
    max_wait = 1000
    task_set = MyTaskSet


# On a slave these are the counts since its last report; on the master and
# in a single process, the totals.
stats = {"requests": 0, "content-length": 0}


def on_request_success(request_type, name, response_time, response_length, **kw):
    """Count a successful request and its size."""
    stats["requests"] += 1
    stats["content-length"] += response_length


def on_request_failure(request_type, name, response_time, exception, **kw):
    """Count a failed request."""
    stats["requests"] += 1


def on_report_to_master(client_id, data, **kw):
    """On a slave: attach the counts to the report, and start counting again."""
    data["requests_counted"] = stats["requests"]
    data["content-length"] = stats["content-length"]
    stats["requests"] = stats["content-length"] = 0


def on_slave_report(client_id, data, **kw):
    """On the master: add a slave's counts."""
    stats["requests"] += data.get("requests_counted", 0)
    stats["content-length"] += data.get("content-length", 0)


def on_quitting(**kw):
    print("events.py counted %d requests and %d bytes of content"
          % (stats["requests"], stats["content-length"]), flush=True)


events.request_success += on_request_success
events.request_failure += on_request_failure
events.report_to_master += on_report_to_master
events.slave_report += on_slave_report
events.quitting += on_quitting


@web.app.route("/content_length")
def total_content_length():
    """A page added to the web UI: the content received so far."""
    return "Total content-length received: %i bytes in %i requests" % (
        stats["content-length"], stats["requests"])
