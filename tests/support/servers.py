"""Stdlib servers (not built on the engine) for the engine's socket tests.

- :func:`echo_server_process`: a ``selectors`` echo server in a subprocess
  (1,000 threads would be too heavy for a thread-per-connection server);
- :func:`serve_in_thread`: runs any ``socketserver`` server in a thread;
- :class:`RendezvousHTTPServer`: a threading HTTP server whose requests
  are answered only once N of them are in at the same time -- concurrency
  shown by ordering, not by a stopwatch;
"""

import contextlib
import http.server
import subprocess
import sys
import threading

ECHO_SERVER = r'''
import resource, selectors, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
if soft != resource.RLIM_INFINITY and soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
sel = selectors.DefaultSelector()
lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(2048)
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, None)
# The parent holds our stdin: EOF means it is gone, and so should we be.
sel.register(sys.stdin, selectors.EVENT_READ, "parent")
sys.stdout.write("%d\n" % lsock.getsockname()[1])
sys.stdout.flush()
pending = {}   # conn -> bytes not yet echoed
while True:
    for key, events in sel.select():
        if key.data == "parent":
            sys.exit(0)
        if key.data is None:
            while True:
                try:
                    conn, _ = lsock.accept()
                except BlockingIOError:
                    break
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                pending[conn] = b""
                sel.register(conn, selectors.EVENT_READ, "conn")
            continue
        conn = key.fileobj
        if events & selectors.EVENT_READ and not pending[conn]:
            try:
                data = conn.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(conn); del pending[conn]; conn.close()
                continue
            pending[conn] = data
        data = pending[conn]
        if data:
            try:
                sent = conn.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                sel.unregister(conn); del pending[conn]; conn.close()
                continue
            pending[conn] = data[sent:]
            # While output is pending, stop reading (backpressure).
            sel.modify(conn, selectors.EVENT_WRITE if pending[conn] else selectors.EVENT_READ,
                       "conn")
'''


@contextlib.contextmanager
def echo_server_process():
    """Run the selectors echo server in a subprocess; yields ``(host, port)``."""
    proc = subprocess.Popen([sys.executable, "-c", ECHO_SERVER], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        yield ("127.0.0.1", port)
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()


@contextlib.contextmanager
def serve_in_thread(server):
    """Run a ``socketserver`` server's ``serve_forever`` in a daemon thread."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)



#: Seconds a rendezvous waits for the others: a bound for a broken case only.
RENDEZVOUS_TIMEOUT = 30


class RendezvousHTTPServer(http.server.ThreadingHTTPServer):
    """A ThreadingHTTPServer for concurrency tests.

    Its handlers call :meth:`rendezvous`, which returns once ``parties``
    requests are waiting in it together (False if they never were, after
    :data:`RENDEZVOUS_TIMEOUT` seconds).  A client that makes its requests
    one after the other never gets past the first; one that makes them
    concurrently gets them all answered, however slow the machine.
    """

    request_queue_size = 128    # the default 5 drops SYNs of many concurrent clients
    daemon_threads = True

    def __init__(self, address, handler, parties=None):
        super().__init__(address, handler)
        self.barrier = threading.Barrier(parties, timeout=RENDEZVOUS_TIMEOUT) if parties else None

    def rendezvous(self):
        """Wait for the other parties; True when all met, False if they never did."""
        if self.barrier is None:
            return True
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            return False
        return True


def raise_fd_limit(want=8192):
    """Raise this process's soft open-files limit to ``want`` (or the hard limit)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


XMLRPC_SERVER = r'''
import sys, threading, time
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCServer

class Server(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True
    request_queue_size = 128

barrier = None

def expect(parties):
    # The next `parties` calls of slow_double answer only once all of them
    # are in at the same time: concurrency shown by ordering, not by time.
    global barrier
    barrier = threading.Barrier(parties, timeout=30)
    return True

def slow_double(x):
    if barrier is None:
        time.sleep(0.3)
    else:
        barrier.wait()    # BrokenBarrierError: a Fault for the client
    return 2 * x

server = Server(("127.0.0.1", 0), logRequests=False)
server.register_function(slow_double)
server.register_function(expect)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdout.write("%d\n" % server.server_address[1])
sys.stdout.flush()
sys.stdin.read()    # until the parent goes away
'''


@contextlib.contextmanager
def server_process(code):
    """Run server ``code`` (prints its port, exits when stdin closes) in a
    subprocess; yields the port."""
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        yield int(proc.stdout.readline())
    finally:
        proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
