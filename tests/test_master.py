"""The master runner in this process against fake slaves made of engine
ZeroMQ sockets (locust/master.py): registration, exact splits, hatch
completion, reports, stop, the request cap, missing slaves, bad frames.

The fake slaves beat like real ones (every half interval, unless told to be
silent), and the heartbeat interval is half a second: a slave is missing
after 1.5 s of silence, so a test does not depend on the process being
scheduled within a fraction of a second.  Where a test asserts that
something did *not* happen, it first waits for a later message of the same
socket to be handled (ZeroMQ keeps a socket's messages in order) instead of
sleeping.

Real slave processes are in test_distributed_processes.py.
"""

import logging
import re
import types

import pytest
import zmq as pyzmq

from locust import events, rpc
from locust.core import Locust, TaskSet
from locust.endpoint import YIELD_EVERY
from locust.engine import sleep, spawn
from locust.engine import zmq as ezmq
from locust.master import REBALANCE_INTERVAL, MasterLocustRunner, split_over_slaves
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_STOPPED, weight_split
from locust.slave import _split_report
from locust.stats import RequestStats, StatsEntry
from support import wait_until

INTERVAL = 0.5


class _Idle(TaskSet):
    tasks = [lambda ts: None]


class Heavy(Locust):
    task_set = _Idle
    weight = 3


class Light(Locust):
    task_set = _Idle
    weight = 1


class FakeSlave:
    """A slave made of two DEALER sockets, driven by the test."""

    def __init__(self, ctx, port, node_id):
        self.node_id = node_id
        self.inbox = []
        #: Set to False to stop the automatic heartbeats (a slave that went silent).
        self.beating = False
        self.sock = self._connect(ctx, port)
        self.beats = self._connect(ctx, port + 1)
        self.glet = spawn(self._receive)

    def _connect(self, ctx, port):
        sock = ctx.socket(ezmq.DEALER)
        sock.setsockopt(ezmq.IDENTITY, self.node_id.encode())
        sock.setsockopt(ezmq.LINGER, 0)
        sock.connect("tcp://127.0.0.1:%d" % port)
        return sock

    def send(self, message_type, data=None):
        self.sock.send(rpc.encode(message_type, data, self.node_id))

    def beat(self, user_count=0, state="running"):
        self.beats.send(rpc.encode("heartbeat", {"state": state, "user_count": user_count},
                                   self.node_id))

    def join(self):
        """Announce itself, then beat every half interval until ``beating`` is
        False, as a slave does: the master counts it from its first heartbeat."""
        self.send("client_ready")
        self.beating = True
        self.beater = spawn(self._beat_loop)

    def _beat_loop(self):
        while self.beating:
            try:
                self.beats.send(rpc.encode("heartbeat", {"state": None, "user_count": None},
                                           self.node_id))
            except ezmq.ZMQError:
                return
            sleep(INTERVAL / 2)

    def _receive(self):
        while True:
            try:
                frame = self.sock.recv()
            except ezmq.ZMQError:
                return
            self.inbox.append(rpc.decode(frame, rpc.MASTER_TO_SLAVE))

    def last(self, message_type):
        assert wait_until(lambda: any(m.type == message_type for m in self.inbox)), \
            "no %s message" % message_type
        return [m for m in self.inbox if m.type == message_type][-1]


@pytest.fixture
def ctx():
    context = ezmq.Context()
    yield context
    context.destroy(linger=0)


@pytest.fixture
def master():
    options = types.SimpleNamespace(master_bind_host="127.0.0.1", master_bind_port=0,
                                    heartbeat_interval=INTERVAL, num_requests=None)
    runner = MasterLocustRunner([Heavy, Light], options, stats=RequestStats())
    runner.stop_grace = 0.2
    yield runner
    for node in runner.clients.values():
        node.busy = False
    runner.clients.clear()
    runner.quit()


def slaves(ctx, master, count, prefix="node"):
    fakes = [FakeSlave(ctx, master.master_bind_port, "%s%d" % (prefix, i)) for i in range(count)]
    for fake in fakes:
        fake.join()
    assert wait_until(lambda: master.slave_count == count)
    return fakes


def report(user_count=0, requests=0, **custom):
    stats = RequestStats()
    for _ in range(requests):
        stats.log_request("GET", "/", 10.0, 5)
    data = stats.serialize_and_reset()
    data["user_count"] = user_count
    data.update(custom)
    return data


# ------------------------------------------------------------------ splits

def test_split_over_slaves_is_exact_both_ways():
    for total, weights, k in [(10, [3, 1], 3), (7, [1], 5), (2, [1, 1], 5), (101, [5, 3, 2], 7),
                              (0, [1, 2], 3), (9, [1, 1, 1], 3)]:
        per_class = dict(zip("ABC", weight_split(total, weights)))
        shares = split_over_slaves(per_class, k)
        assert [sum(s.values()) for s in shares] == weight_split(total, [1] * k)
        for cls, n in per_class.items():
            assert sum(s[cls] for s in shares) == n


def test_hatch_10_over_3_is_4_3_3_with_exact_class_totals(ctx, master):
    fakes = slaves(ctx, master, 3)
    master.start_hatching(10, 5)
    hatches = [fake.last("hatch").data for fake in fakes]
    assert [h["num_clients"] for h in hatches] == [4, 3, 3]
    assert sum(h["class_counts"]["Heavy"] for h in hatches) == 8  # weights 3:1
    assert sum(h["class_counts"]["Light"] for h in hatches) == 2
    assert sum(h["hatch_rate"] for h in hatches) == pytest.approx(5)
    assert master.state == "hatching"


@pytest.mark.parametrize("users, expected", [(7, [2, 2, 1, 1, 1]), (2, [1, 1, 0, 0, 0])])
def test_hatch_over_5_slaves_sums_to_the_count(ctx, master, users, expected):
    fakes = slaves(ctx, master, 5)
    master.start_hatching(users, 1)
    assert [fake.last("hatch").data["num_clients"] for fake in fakes] == expected


def test_no_slave_means_no_swarm(master):
    with pytest.raises(ValueError, match="no slaves"):
        master.start_hatching(3, 1)
    assert master.state == "ready"


# --------------------------------------------------------------- lifecycle

def test_hatch_complete_fires_once_with_the_sum(ctx, master):
    fired = []
    listener = lambda user_count, **kw: fired.append(user_count)
    events.hatch_complete += listener
    try:
        fakes = slaves(ctx, master, 2)
        master.start_hatching(5, 10)
        gens = [fake.last("hatch").data["generation"] for fake in fakes]
        fakes[0].send("hatching")
        fakes[0].send("hatch_complete", {"count": 3, "generation": gens[0]})
        fakes[1].send("hatch_complete", {"count": 2, "generation": gens[1] - 1})  # stale
        fakes[1].send("stats", report(requests=1))     # handled after the stale one
        assert wait_until(lambda: master.stats.num_requests == 1)
        assert fired == [] and master.state == "hatching"
        fakes[1].send("hatch_complete", {"count": 2, "generation": gens[1]})
        assert wait_until(lambda: fired)
        assert fired == [5] and master.state == STATE_RUNNING and master.user_count == 5
    finally:
        events.hatch_complete -= listener


def test_a_slave_that_joins_mid_test_gets_a_share(ctx, master):
    fakes = slaves(ctx, master, 2)
    master.start_hatching(6, 10)
    for fake in fakes:
        data = fake.last("hatch").data
        fake.send("hatch_complete", {"count": data["num_clients"], "generation": data["generation"]})
    assert wait_until(lambda: master.state == STATE_RUNNING)
    late = FakeSlave(ctx, master.master_bind_port, "node9")
    late.join()
    counts = [f.last("hatch").data["num_clients"] for f in fakes + [late]]
    assert wait_until(lambda: all(len([m for m in f.inbox if m.type == "hatch"]) == 2
                                  for f in fakes) and late.last("hatch"))
    counts = [f.last("hatch").data["num_clients"] for f in fakes + [late]]
    assert counts == [2, 2, 2]


def test_stop_waits_for_the_final_reports(ctx, master):
    fakes = slaves(ctx, master, 2)
    master.start_hatching(2, 10)
    for fake in fakes:
        fake.last("hatch")
    stopper = spawn(master.stop)
    for i, fake in enumerate(fakes):
        fake.last("stop")
        sleep(0.05)
        assert not stopper.dead  # still waiting for this slave
        fake.send("stats", report(requests=10 + i))
        fake.send("client_stopped")
    stopper.join(timeout=5)
    assert stopper.dead and master.state == STATE_STOPPED
    assert master.stats.num_requests == 21


def test_reports_merge_fire_slave_report_and_unknown_ones_are_ignored(ctx, master, caplog):
    seen = []
    listener = lambda client_id, data, **kw: seen.append((client_id, data.get("custom")))
    events.slave_report += listener
    try:
        fakes = slaves(ctx, master, 1)
        stranger = FakeSlave(ctx, master.master_bind_port, "stranger")
        with caplog.at_level(logging.WARNING, logger="locust.runners"):
            stranger.send("stats", report(requests=50))
            fakes[0].send("stats", report(user_count=1, requests=3, custom={"x": [1, 2]}))
            assert wait_until(lambda: seen)
        assert seen == [("node0", {"x": [1, 2]})]
        assert master.stats.num_requests == 3
        assert "unknown slave stranger" in caplog.text
    finally:
        events.slave_report -= listener


def test_request_cap_is_checked_on_the_merged_count(ctx, master):
    master.num_requests = 5
    fakes = slaves(ctx, master, 2)
    master.start_hatching(2, 10)
    fakes[0].send("stats", report(requests=3))
    assert wait_until(lambda: master.stats.num_requests == 3)
    assert master.state == "hatching"     # 3 of 5: not the cap yet
    fakes[1].send("stats", report(requests=3))
    assert wait_until(lambda: master.stop_reason == "request cap")
    for fake in fakes:
        fake.last("stop")


def test_exceptions_from_slaves_are_merged(ctx, master):
    fakes = slaves(ctx, master, 2)
    for fake in fakes:
        fake.send("exception", {"msg": "ValueError: bad", "traceback": "  File x\n"})
    assert wait_until(lambda: sum(r["count"] for r in master.exceptions.values()) == 2)
    (row,) = master.exceptions.values()
    assert row["nodes"] == {"node0", "node1"}


def test_a_silent_slave_is_marked_missing_and_comes_back(ctx, master):
    fakes = slaves(ctx, master, 2)
    master.start_hatching(4, 10)
    for fake in fakes:
        data = fake.last("hatch").data
        fake.send("hatch_complete", {"count": data["num_clients"], "generation": data["generation"]})
    assert wait_until(lambda: master.user_count == 4)
    fakes[1].beating = False     # node0 keeps beating
    assert wait_until(lambda: master.clients["node1"].state == STATE_MISSING)
    assert master.clients["node0"].state == STATE_RUNNING
    assert master.slave_count == 1 and master.user_count == 2
    fakes[1].beat()
    assert wait_until(lambda: master.clients["node1"].state != STATE_MISSING)


def test_bad_frames_are_dropped_and_the_master_keeps_serving(ctx, master, caplog):
    raw = ctx.socket(ezmq.DEALER)
    raw.setsockopt(ezmq.IDENTITY, b"spoofer")
    raw.setsockopt(ezmq.LINGER, 0)
    raw.connect("tcp://127.0.0.1:%d" % master.master_bind_port)
    with caplog.at_level(logging.WARNING, logger="locust.runners"):
        raw.send(b"\x00garbage")
        raw.send_multipart([b"a", b"b"])
        raw.send(rpc.encode("client_ready", None, "someone_else"))  # id != identity
        raw.send(rpc.encode("hatch", {"num_clients": 1, "hatch_rate": 1, "host": None,
                                      "class_counts": {}, "generation": 1}, "spoofer"))
        raw.send(b"\x00garbage again")   # handled after all of the above
        assert wait_until(lambda: caplog.text.count("not msgpack") == 2)
    assert master.slave_count == 0
    assert "not msgpack" in caplog.text and "2 frames" not in caplog.text
    assert "3 frames" in caplog.text and "is not the sender's identity" in caplog.text
    raw.close()
    slaves(ctx, master, 1)


def test_a_reset_reaches_every_slave_and_drops_reports_measured_before_it(ctx, master):
    fakes = slaves(ctx, master, 2)
    master.start_hatching(2, 2)
    hatch = fakes[0].last("hatch")
    assert hatch.data["stats_epoch"] == 1  # the first test
    fakes[0].send("stats", report(user_count=1, requests=5, stats_epoch=1))
    assert wait_until(lambda: master.stats.num_requests == 5)

    master.reset_statistics()
    assert master.stats.num_requests == 0
    for fake in fakes:
        assert fake.last("reset_stats").data == {"stats_epoch": 2}
    # Sent before the slave heard of the reset: dropped, but its user count counts.
    fakes[1].send("stats", report(user_count=1, requests=7, stats_epoch=1))
    fakes[0].send("stats", report(user_count=1, requests=3, stats_epoch=2))
    assert wait_until(lambda: master.stats.num_requests == 3)
    assert wait_until(lambda: master.clients["node1"].user_count == 1)   # node1's was handled
    assert master.stats.num_requests == 3

    # A slave that joins after the reset learns the epoch from its hatch (a rebalance).
    late = FakeSlave(ctx, master.master_bind_port, "late")
    late.join()
    assert wait_until(lambda: master.slave_count == 3)
    assert late.last("hatch").data["stats_epoch"] == 2


# ------------------------------------------------------- hostile peers

def hatches(fake):
    """The user counts of the hatch messages a fake slave received."""
    return [m.data["num_clients"] for m in fake.inbox if m.type == "hatch"]


def start_running(fakes, master, users):
    master.start_hatching(users, 100)
    for fake in fakes:
        data = fake.last("hatch").data
        fake.send("hatch_complete", {"count": data["num_clients"], "generation": data["generation"]})
    assert wait_until(lambda: master.state == STATE_RUNNING)


def test_nodes_that_only_announce_never_take_a_share(ctx, master, caplog):
    (real,) = slaves(ctx, master, 1)
    start_running([real], master, 4)
    intruders = [FakeSlave(ctx, master.master_bind_port, "intruder%d" % i) for i in range(30)]
    with caplog.at_level(logging.WARNING, logger="locust.runners"):
        for fake in intruders:
            fake.send("client_ready")  # and never a heartbeat
        assert wait_until(lambda: "Forgot 30 nodes that announced themselves" in caplog.text)
    assert master.slave_count == 1 and not master._candidates
    assert [m.data["num_clients"] for m in real.inbox if m.type == "hatch"] == [4]
    assert all(not fake.inbox for fake in intruders)


def test_joins_in_a_burst_share_one_rebalance(ctx, master):
    first = slaves(ctx, master, 1)
    start_running(first, master, 42)
    late = [FakeSlave(ctx, master.master_bind_port, "late%02d" % i) for i in range(20)]
    for fake in late:
        fake.join()
    assert wait_until(lambda: master.slave_count == 21)
    assert wait_until(lambda: all(fake.inbox for fake in late))
    sleep(REBALANCE_INTERVAL * 2)
    hatches = [m.data["num_clients"] for m in first[0].inbox if m.type == "hatch"]
    # The first hatch, then one rebalance per REBALANCE_INTERVAL at most,
    # however many joined: not 20 (each sent to every slave).
    assert 2 <= len(hatches) <= 4, hatches
    assert hatches[-1] == 2 and [f.last("hatch").data["num_clients"] for f in late] == [2] * 20


def test_more_nodes_than_max_slaves_are_refused(ctx, caplog):
    options = types.SimpleNamespace(master_bind_host="127.0.0.1", master_bind_port=0,
                                    heartbeat_interval=INTERVAL, num_requests=None, max_slaves=3)
    runner = MasterLocustRunner([Heavy], options, stats=RequestStats())
    try:
        fakes = [FakeSlave(ctx, runner.master_bind_port, "node%d" % i) for i in range(5)]
        with caplog.at_level(logging.WARNING, logger="locust.runners"):
            for fake in fakes:
                fake.join()
            assert wait_until(lambda: runner.slave_count == 3)
            sleep(INTERVAL * 3)
        assert runner.slave_count == 3
        # Which two are refused depends on the order their frames arrive in
        # (five connections): any two, each named, none of them admitted.
        refused = set(re.findall(r"Refused slave (node\d): 3 nodes are known already "
                                 r"\(--max-slaves\)", caplog.text))
        assert len(refused) == 2 and refused.isdisjoint(runner.clients), caplog.text
    finally:
        runner.clients.clear()
        runner.quit()


def test_a_hatch_never_completes_with_every_slave_missing(ctx, master, caplog):
    fired = []
    listener = lambda user_count, **kw: fired.append(user_count)
    events.hatch_complete += listener
    try:
        fakes = slaves(ctx, master, 2)
        with caplog.at_level(logging.INFO, logger="locust.runners"):
            master.start_hatching(4, 1)
            for fake in fakes:
                fake.beating = False
            assert wait_until(lambda: master.slave_count == 0)
            sleep(INTERVAL * 3)
        assert master.state == "hatching" and fired == []
        assert "All slaves finished hatching" not in caplog.text
        # They come back: a new hatch, and it completes with them.
        for fake in fakes:
            fake.beating = True
            fake.beater = spawn(fake._beat_loop)
        assert wait_until(lambda: all(hatches(f)[1:] and hatches(f)[-1] == 2 for f in fakes))
        for fake in fakes:
            data = fake.last("hatch").data
            fake.send("hatch_complete", {"count": data["num_clients"],
                                         "generation": data["generation"]})
        assert wait_until(lambda: fired == [4])
        assert [(text.split(" was ")[1][:11], lost) for text, lost in master.run_notes()] == [
            ("missing fro", False), ("missing fro", False)]
    finally:
        events.hatch_complete -= listener


def test_a_report_split_in_parts_merges_exactly(ctx, master):
    (fake,) = slaves(ctx, master, 1)
    master.start_hatching(1, 1)
    stats = RequestStats()
    names = rpc.MAX_ENTRIES_PER_REPORT * 2 + 7
    for i in range(names):
        stats.log_request("GET", "/item/%d" % i, 10.0, 5)
        stats.log_error("GET", "/item/%d" % i, "boom %d" % i)
    data = stats.serialize_and_reset()
    data["user_count"] = 1
    data["stats_epoch"] = fake.last("hatch").data["stats_epoch"]
    parts = _split_report(data)
    assert len(parts) == 3
    for part in parts:
        fake.send("stats", part)
    assert wait_until(lambda: len(master.stats.entries) == names)
    assert master.stats.num_requests == master.stats.num_failures == names
    assert sum(e.occurences for e in master.stats.errors.values()) == names


def test_a_report_that_cannot_be_merged_changes_nothing(ctx, master, caplog, monkeypatch):
    (fake,) = slaves(ctx, master, 1)
    master.start_hatching(1, 1)
    fake.send("stats", report(requests=2))
    assert wait_until(lambda: master.stats.num_requests == 2)
    real = StatsEntry.unserialize

    def fails_on_the_second(data):
        if data["name"] == "/second":
            raise ValueError("cannot merge this one")
        return real(data)

    monkeypatch.setattr(StatsEntry, "unserialize", staticmethod(fails_on_the_second))
    stats = RequestStats()
    stats.log_request("GET", "/first", 10.0, 5)
    stats.log_request("GET", "/second", 10.0, 5)
    data = stats.serialize_and_reset()
    data["user_count"] = 1
    with caplog.at_level(logging.WARNING, logger="locust.runners"):
        fake.send("stats", data)
        assert wait_until(lambda: "Dropped a stats report of node0" in caplog.text)
    assert master.stats.num_requests == 2 and ("/first", "GET") not in master.stats.entries


def test_the_receive_loop_yields_while_frames_are_queued(ctx, master, monkeypatch):
    order = []
    handle = master._endpoint.handler

    def spy(msg, channel):
        order.append("frame")
        handle(msg, channel)

    monkeypatch.setattr(master._endpoint, "handler", spy)
    plain = pyzmq.Context()
    try:
        sock = plain.socket(pyzmq.DEALER)
        sock.setsockopt(pyzmq.IDENTITY, b"flood")
        sock.setsockopt(pyzmq.LINGER, 0)
        sock.connect("tcp://127.0.0.1:%d" % master.master_bind_port)
        frame = rpc.encode("client_ready", None, "flood")
        for _ in range(200):  # blocking sends: the hub runs none of them meanwhile
            sock.send(frame)
        ticker = spawn(lambda: [order.append("tick") or sleep(0) for _ in iter(int, 1)])
        assert wait_until(lambda: order.count("frame") == 200)
        ticker.kill()
    finally:
        plain.destroy(linger=0)
    runs = "".join("f" if item == "frame" else "." for item in order).split(".")
    assert max(len(run) for run in runs) <= YIELD_EVERY
