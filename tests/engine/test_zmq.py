"""Cooperative ZeroMQ sockets: locust.engine.zmq.

Peers are our own sockets in other greenlets, plain blocking pyzmq sockets,
and plain pyzmq in a subprocess.  Every wait is bounded by an engine
Timeout so a broken wake-up fails the test instead of hanging it.
"""

import os
import subprocess
import sys
import textwrap
import time

import pytest
import zmq as pyzmq

from locust.engine import Timeout, sleep, spawn
from locust.engine import zmq as ezmq

GUARD = 20  # seconds: generous upper bound for any single test's waiting


@pytest.fixture
def ctx():
    context = ezmq.Context()
    yield context
    context.destroy(linger=0)


def bind_tcp(sock):
    sock.bind("tcp://127.0.0.1:*")
    return sock.get(pyzmq.LAST_ENDPOINT).decode()


class Ticker:
    """A greenlet that counts while others exchange messages."""

    def __init__(self):
        self.ticks = 0
        self.glet = spawn(self._run)

    def _run(self):
        while True:
            self.ticks += 1
            sleep(0.001)

    def stop(self):
        self.glet.kill()


@pytest.fixture
def wait_counter(monkeypatch):
    """Counts the real waits (EAGAIN -> _wait) by direction."""
    counts = {"in": 0, "out": 0}
    original = ezmq.Socket._wait

    def counting(self, mask, deadline):
        counts["in" if mask & pyzmq.POLLIN else "out"] += 1
        return original(self, mask, deadline)

    monkeypatch.setattr(ezmq.Socket, "_wait", counting)
    return counts


def test_module_wraps_pyzmq_not_itself(ctx):
    assert ezmq._zmq is pyzmq
    assert "locust" not in pyzmq.__file__
    assert issubclass(ezmq.Context, pyzmq.Context)
    sock = ctx.socket(ezmq.PULL)
    assert isinstance(sock, ezmq.Socket) and isinstance(sock, pyzmq.Socket)
    sock.close()
    # pyzmq's names are reachable through ours
    assert ezmq.Again is pyzmq.Again and ezmq.ROUTER == pyzmq.ROUTER
    assert isinstance(ezmq.Context.instance(), ezmq.Context)
    assert not isinstance(pyzmq.Context.instance(), ezmq.Context)


def test_push_pull_between_greenlets_while_ticker_runs(ctx, wait_counter):
    pull = ctx.socket(ezmq.PULL)
    push = ctx.socket(ezmq.PUSH)
    push.connect(bind_tcp(pull))
    ticker = Ticker()

    def producer():
        for i in range(2000):
            push.send(b"%d" % i)
            if i % 200 == 0:
                sleep(0.01)  # the consumer has to wait for the next batch

    prod = spawn(producer)
    ticks_before = ticker.ticks
    with Timeout(GUARD):
        got = [int(pull.recv()) for _ in range(2000)]
    ticker.stop()
    prod.join()
    assert got == list(range(2000))
    assert wait_counter["in"] > 0       # the consumer really waited
    assert ticker.ticks - ticks_before >= 5
    pull.close()
    push.close()


def test_router_dealer_between_greenlets(ctx):
    router = ctx.socket(ezmq.ROUTER)
    endpoint = bind_tcp(router)
    ticker = Ticker()

    def server():
        while True:
            ident, _empty, payload = router.recv_multipart()
            router.send_multipart([ident, b"", b"re:" + payload])

    def client(n):
        dealer = ctx.socket(ezmq.DEALER)
        dealer.connect(endpoint)
        replies = []
        for i in range(200):
            dealer.send_multipart([b"", b"%d-%d" % (n, i)])
            replies.append(dealer.recv_multipart()[1])
        dealer.close()
        return replies

    srv = spawn(server)
    clients = [spawn(client, n) for n in range(3)]
    with Timeout(GUARD):
        for glet in clients:
            glet.join()
    srv.kill()
    ticker.stop()
    for n, glet in enumerate(clients):
        assert glet.get() == [b"re:%d-%d" % (n, i) for i in range(200)]
    assert ticker.ticks > 0
    router.close()


def test_multipart_round_trip(ctx):
    a = ctx.socket(ezmq.PAIR)
    b = ctx.socket(ezmq.PAIR)
    b.connect(bind_tcp(a))
    parts = [b"", b"x", b"\x00" * 70000, "é".encode(), b""]
    with Timeout(GUARD):
        waiter = spawn(b.recv_multipart)
        sleep(0.05)  # the receiver is waiting before anything is sent
        a.send_multipart(parts)
        waiter.join()
        assert waiter.get() == parts
        b.send_multipart([b"1", b"2"], timeout=1)
        assert a.recv_multipart(timeout=1) == [b"1", b"2"]
        a.send_string("héllo")
        assert b.recv_string() == "héllo"
        b.send_pyobj({"k": [1, 2]})
        assert a.recv_pyobj() == {"k": [1, 2]}
        a.send_json({"j": 1})
        assert b.recv_json() == {"j": 1}
    a.close()
    b.close()


def test_recv_timeout_keyword_raises_again_and_others_run(ctx):
    pull = ctx.socket(ezmq.PULL)
    bind_tcp(pull)
    ticker = Ticker()
    start = time.monotonic()
    with pytest.raises(pyzmq.Again):
        pull.recv(timeout=0.2)
    elapsed = time.monotonic() - start
    ticker.stop()
    assert elapsed > 0.15          # not before its time
    assert ticker.ticks >= 2       # others ran (and slept) during the wait
    with pytest.raises(pyzmq.Again):
        pull.recv_multipart(timeout=0)
    with pytest.raises(pyzmq.Again):
        pull.recv(pyzmq.NOBLOCK)
    pull.close()


def test_rcvtimeo_and_sndtimeo_options(ctx):
    pull = ctx.socket(ezmq.PULL)
    bind_tcp(pull)
    pull.setsockopt(pyzmq.RCVTIMEO, 150)
    start = time.monotonic()
    with pytest.raises(pyzmq.Again):
        pull.recv_string()
    assert time.monotonic() - start > 0.1
    # A PUSH socket with no peer can never send: SNDTIMEO ends the wait.
    push = ctx.socket(ezmq.PUSH)
    push.setsockopt(pyzmq.SNDTIMEO, 150)
    start = time.monotonic()
    with pytest.raises(pyzmq.Again):
        push.send(b"nobody")
    assert time.monotonic() - start > 0.1
    with pytest.raises(pyzmq.Again):
        push.send(b"nobody", timeout=0.05)
    pull.close()
    push.close()


def test_socket_usable_after_engine_timeout_interrupts_wait(ctx):
    a = ctx.socket(ezmq.PAIR)
    b = ctx.socket(ezmq.PAIR)
    b.connect(bind_tcp(a))
    with pytest.raises(Timeout), Timeout(0.1):
        a.recv()
    assert a._watcher is None and a._readers == 0
    with Timeout(GUARD):
        waiter = spawn(a.recv)
        sleep(0.05)
        b.send(b"after")
        assert waiter.get() == b"after"
    a.close()
    b.close()


def test_send_and_recv_on_one_dealer_from_two_greenlets(ctx, wait_counter):
    # inproc with tiny high-water marks: both directions fill up, so the
    # sender and the receiver of our DEALER wait on its one FD at once.
    n = 5000
    echo = ctx.socket(ezmq.DEALER)
    ours = ctx.socket(ezmq.DEALER)
    for sock in (echo, ours):
        sock.setsockopt(pyzmq.SNDHWM, 5)
        sock.setsockopt(pyzmq.RCVHWM, 5)
    echo.bind("inproc://dealer-echo")
    ours.connect("inproc://dealer-echo")

    def echoer():
        for _ in range(n):
            echo.send(echo.recv())

    def sender():
        for i in range(n):
            ours.send(b"%d" % i)

    def receiver():
        return [int(ours.recv()) for _ in range(n)]

    glets = [spawn(echoer), spawn(sender)]
    recv_glet = spawn(receiver)
    with Timeout(GUARD):
        recv_glet.join()
        for glet in glets:
            glet.join()
    assert recv_glet.get() == list(range(n))
    assert wait_counter["out"] > 0 and wait_counter["in"] > 0
    echo.close()
    ours.close()


def test_burst_to_several_waiting_receivers_all_seen(ctx):
    # Every receiver waits (one on the FD, the others behind it) before a
    # plain pyzmq peer sends everything in one burst and then goes quiet:
    # each message must be seen although the FD fires once for many.
    pull = ctx.socket(ezmq.PULL)
    endpoint = bind_tcp(pull)
    got = []

    def receiver():
        while True:
            got.append(int(pull.recv()))

    receivers = [spawn(receiver) for _ in range(4)]
    sleep(0.05)
    assert pull._readers == 4 and pull._watcher is not None
    plain = pyzmq.Context()
    push = plain.socket(pyzmq.PUSH)
    push.connect(endpoint)
    for i in range(3000):
        push.send(b"%d" % i)
    with Timeout(GUARD):
        while len(got) < 3000:
            sleep(0.01)
    assert got == list(range(3000))
    for glet in receivers:
        glet.kill()
    push.close(linger=0)
    plain.term()
    pull.close()


def test_two_messages_two_waiters_no_lost_wakeup(ctx):
    # The smallest form of the edge-trigger trap, repeated: two greenlets
    # wait, two messages arrive together, both greenlets must wake.
    pull = ctx.socket(ezmq.PULL)
    plain = pyzmq.Context()
    push = plain.socket(pyzmq.PUSH)
    push.connect(bind_tcp(pull))
    for round_ in range(50):
        waiters = [spawn(pull.recv) for _ in range(2)]
        sleep(0.002)
        push.send(b"a%d" % round_)
        push.send(b"b%d" % round_)
        with Timeout(5):
            for glet in waiters:
                glet.join()
        assert sorted(g.get() for g in waiters) == [b"a%d" % round_, b"b%d" % round_]
    push.close(linger=0)
    plain.term()
    pull.close()


def test_send_does_not_swallow_the_wakeup_of_a_waiting_receiver(ctx):
    # inproc delivers the "message arrived" command synchronously; our own
    # send then processes it and consumes the FD's edge.  The waiting
    # receiver must be woken all the same.
    a = ctx.socket(ezmq.PAIR)
    b = ctx.socket(ezmq.PAIR)
    a.bind("inproc://edge-send")
    b.connect("inproc://edge-send")
    receiver = spawn(a.recv)
    sleep(0.02)
    assert a._watcher is receiver
    b.send(b"to-a")
    a.send(b"to-b")          # no switch between the two sends
    with Timeout(5):
        assert receiver.get() == b"to-a"
        assert b.recv() == b"to-b"
    a.close()
    b.close()


def test_recv_does_not_swallow_the_wakeup_of_a_waiting_sender(ctx):
    a = ctx.socket(ezmq.PAIR)
    b = ctx.socket(ezmq.PAIR)
    for sock in (a, b):
        sock.setsockopt(pyzmq.SNDHWM, 2)
        sock.setsockopt(pyzmq.RCVHWM, 2)
    a.bind("inproc://edge-recv")
    b.connect("inproc://edge-recv")
    sent = 0
    while True:  # fill a's way out
        try:
            a.send(b"fill", pyzmq.NOBLOCK)
            sent += 1
        except pyzmq.Again:
            break
    sender = spawn(a.send, b"last")
    sleep(0.02)
    assert a._watcher is sender
    for _ in range(sent):
        b.recv()             # room again: a command is posted to a
    b.send(b"to-a")
    assert a.recv() == b"to-a"   # consumes the edge the sender needed
    with Timeout(5):
        sender.join()
        assert sender.successful()
        assert b.recv() == b"last"
    a.close()
    b.close()


def test_killed_watcher_hands_the_fd_to_the_next_waiter(ctx):
    pull = ctx.socket(ezmq.PULL)
    plain = pyzmq.Context()
    push = plain.socket(pyzmq.PUSH)
    push.connect(bind_tcp(pull))
    first = spawn(pull.recv)
    sleep(0.02)
    second = spawn(pull.recv)
    sleep(0.02)
    assert pull._watcher is first
    first.kill()
    sleep(0.02)
    assert pull._watcher is second
    push.send(b"only")
    with Timeout(5):
        assert second.get() == b"only"
    push.close(linger=0)
    plain.term()
    pull.close()


def test_close_wakes_every_waiter(ctx):
    dealer = ctx.socket(ezmq.DEALER)  # no peer: sends and receives both wait
    dealer.bind("inproc://nobody")
    receivers = [spawn(dealer.recv) for _ in range(2)]
    sender = spawn(dealer.send, b"x")
    sleep(0.05)
    assert dealer._readers == 2 and dealer._writers == 1
    dealer.close()
    with Timeout(60):     # without the wake-up they would wait forever
        for glet in receivers + [sender]:
            glet.join()
    for glet in receivers + [sender]:
        assert isinstance(glet.exception, pyzmq.ZMQError)
        assert glet.exception.errno == pyzmq.ENOTSOCK


def test_poll(ctx):
    a = ctx.socket(ezmq.PAIR)
    b = ctx.socket(ezmq.PAIR)
    b.connect(bind_tcp(a))
    assert a.poll(50) == 0
    spawn(lambda: (sleep(0.05), b.send(b"hi")))
    with Timeout(GUARD):
        assert a.poll(5000) == pyzmq.POLLIN
        assert a.poll(0, pyzmq.POLLIN | pyzmq.POLLOUT) == pyzmq.POLLIN | pyzmq.POLLOUT
    assert a.recv() == b"hi"
    a.close()
    b.close()
    with pytest.raises(pyzmq.ZMQError):
        a.poll(0)


ECHO_PEER = textwrap.dedent("""
    import sys, zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.SNDHWM, 50)
    s.setsockopt(zmq.RCVHWM, 50)
    s.connect(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        s.send_multipart(s.recv_multipart())
    s.close(linger=5000)
    ctx.term()
""")

PUSH_PEER = textwrap.dedent("""
    import sys, zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.PUSH)
    s.connect(sys.argv[1])
    for i in range(int(sys.argv[2])):
        s.send(b"%d" % i)
    s.close(linger=5000)
    ctx.term()
""")


def run_peer(script, *args):
    return subprocess.Popen([sys.executable, "-c", script] + [str(a) for a in args],
                            env=dict(os.environ, PYTHONPATH=""))


def test_ten_thousand_messages_from_a_plain_pyzmq_process(ctx):
    pull = ctx.socket(ezmq.PULL)
    proc = run_peer(PUSH_PEER, bind_tcp(pull), 10000)
    ticker = Ticker()
    try:
        with Timeout(GUARD):
            got = [int(pull.recv()) for _ in range(10000)]
    finally:
        ticker.stop()
        proc.wait(GUARD)
    assert got == list(range(10000))
    assert ticker.ticks > 0
    assert proc.returncode == 0
    pull.close()


def test_ten_thousand_round_trips_with_a_plain_pyzmq_process(ctx):
    # One DEALER, a sender greenlet and a receiver greenlet; the peer in the
    # other process echoes with small high-water marks.
    n = 10000
    ours = ctx.socket(ezmq.DEALER)
    ours.setsockopt(pyzmq.SNDHWM, 50)
    ours.setsockopt(pyzmq.RCVHWM, 50)
    proc = run_peer(ECHO_PEER, bind_tcp(ours), n)

    def sender():
        for i in range(n):
            ours.send_multipart([b"m", b"%d" % i])

    def receiver():
        return [int(ours.recv_multipart()[1]) for _ in range(n)]

    send_glet = spawn(sender)
    recv_glet = spawn(receiver)
    try:
        with Timeout(GUARD):
            recv_glet.join()
            send_glet.join()
    finally:
        proc.wait(GUARD)
    assert recv_glet.get() == list(range(n))
    assert send_glet.successful()
    assert proc.returncode == 0
    ours.close()
