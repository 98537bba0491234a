"""Load testing something that is not HTTP: an XML-RPC client that reports to Locust.

The docs' example (chapter 6), in Python 3. ``XmlRpcClient`` wraps the
standard library's ``xmlrpc.client.ServerProxy`` and fires
``events.request_success`` / ``events.request_failure`` around every call,
so the calls show up in Locust's statistics like HTTP requests.

``xmlrpc.client`` uses blocking stdlib sockets; the ``locust`` command runs
``locust.engine.monkey.patch_all()`` before importing a locustfile, so they
are cooperative and hundreds of users can wait on the server at once.

Start the server (next to this file), then Locust::

    python examples/custom_xmlrpc_client/server.py &
    locust -f examples/custom_xmlrpc_client/xmlrpc_locustfile.py --no-web -c 20 -r 10 -t 30s

(``ApiUser.host`` is http://127.0.0.1:8877/, the server's default port;
``--host`` overrides it.)
"""

import time
import xmlrpc.client

from locust import Locust, TaskSet, events, task


class XmlRpcClient(xmlrpc.client.ServerProxy):
    """
    Simple, sample XML RPC client implementation that wraps xmlrpc.client.ServerProxy and
    fires locust events on request_success and request_failure, so that all requests
    gets tracked in locust's statistics.
    """
    def __getattr__(self, name):
        func = xmlrpc.client.ServerProxy.__getattr__(self, name)

        def wrapper(*args, **kwargs):
            start_time = time.time()
            try:
                result = func(*args, **kwargs)
            except xmlrpc.client.Fault as e:
                total_time = int((time.time() - start_time) * 1000)
                events.request_failure.fire(request_type="xmlrpc", name=name,
                                            response_time=total_time, exception=e)
            else:
                total_time = int((time.time() - start_time) * 1000)
                events.request_success.fire(request_type="xmlrpc", name=name,
                                            response_time=total_time, response_length=0)
                # In this example, I've hardcoded response_length=0. If we would want the response length to be
                # reported correctly in the statistics, we would probably need to hook in at a lower level
                return result

        return wrapper


class XmlRpcLocust(Locust):
    """
    This is the abstract Locust class which should be subclassed. It provides an XML-RPC client
    that can be used to make XML-RPC requests that will be tracked in Locust's statistics.
    """
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = XmlRpcClient(self.host)


class ApiUser(XmlRpcLocust):

    host = "http://127.0.0.1:8877/"
    min_wait = 100
    max_wait = 1000

    class task_set(TaskSet):
        @task(10)
        def get_time(self):
            self.client.get_time()

        @task(5)
        def get_random_number(self):
            self.client.get_random_number(0, 100)
