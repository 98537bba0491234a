"""Stdlib servers (not built on the engine) for the engine's socket tests.

- :func:`echo_server_process`: a ``selectors`` echo server in a subprocess
  (1,000 threads would be too heavy for a thread-per-connection server);
- :func:`serve_in_thread`: runs any ``socketserver`` server in a thread;
"""

import contextlib
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

def slow_double(x):
    time.sleep(0.3)
    return 2 * x

server = Server(("127.0.0.1", 0), logRequests=False)
server.register_function(slow_double)
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
