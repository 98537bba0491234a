"""The XML-RPC server for ``xmlrpc_locustfile.py`` (the docs' chapter 6), in Python 3.

Each call sleeps up to ``--max-sleep`` seconds (1 by default, as in the
docs) to stand for work. Threaded (the docs' server handled one call at a
time, so 20 users would mostly measure its queue). It counts the calls it
served and prints the count when stopped (Ctrl-C or SIGTERM)::

    python examples/custom_xmlrpc_client/server.py [--port 8877] [--max-sleep 1]

``--port 0`` picks a free port; the "Listening on port N..." line says which.
"""

import argparse
import random
import signal
import sys
import threading
import time
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer


class ThreadingXMLRPCServer(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True


class _Quiet(SimpleXMLRPCRequestHandler):
    def log_message(self, *args):
        pass


served = 0
_lock = threading.Lock()


def _count():
    global served
    with _lock:
        served += 1


def main(argv=None):
    parser = argparse.ArgumentParser(description="XML-RPC server for the XML-RPC example")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8877)
    parser.add_argument("--max-sleep", type=float, default=1.0)
    args = parser.parse_args(argv)

    def get_time():
        _count()
        time.sleep(random.random() * args.max_sleep)
        return time.time()

    def get_random_number(low, high):
        _count()
        time.sleep(random.random() * args.max_sleep)
        return random.randint(low, high)

    server = ThreadingXMLRPCServer((args.host, args.port), requestHandler=_Quiet,
                                   logRequests=False, allow_none=True)
    print("Listening on port %d..." % server.server_address[1], flush=True)
    server.register_function(get_time, "get_time")
    server.register_function(get_random_number, "get_random_number")
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        print("Served %d calls" % served, flush=True)


if __name__ == "__main__":
    main()
