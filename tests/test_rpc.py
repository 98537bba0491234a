"""The wire of distributed runs (locust/rpc.py): encoding, the checks that
every decoded frame passes, and the rate-limited log of dropped frames."""

import contextlib
import logging
import random

import msgpack
import pytest

from locust import rpc
from locust.stats import RequestStats


def stats_report():
    stats = RequestStats()
    stats.log_request("GET", "/", 12.5, 100)
    stats.log_request("GET", "/", 250.0, 80)
    stats.log_error("POST", "/login", "boom")
    stats.log_error("POST", "/login", "boom", response_time=31.5)
    data = stats.serialize_and_reset()
    data["user_count"] = 3
    return data


def test_round_trip_of_every_kind_of_message():
    messages = [
        ("client_ready", None), ("hatching", None), ("client_stopped", None), ("quit", None),
        ("hatch_complete", {"count": 4, "generation": 2}),
        ("exception", {"msg": "ValueError: x", "traceback": "  File ...\n"}),
        ("heartbeat", {"state": "running", "user_count": 3}),
        ("heartbeat", {"state": "running", "user_count": 3, "cpu": 97.5,
                       "memory": 41_000_000}),
        ("stats", stats_report()),
        ("hatch", {"num_clients": 4, "hatch_rate": 2.5, "host": None,
                   "class_counts": {"A": 3, "B": 1}, "generation": 1}),
        ("stop", None),
    ]
    for message_type, data in messages:
        frame = rpc.encode(message_type, data, "host_abc123")
        msg = rpc.decode(frame)
        assert (msg.type, msg.data, msg.node_id) == (message_type, data, "host_abc123")
        assert rpc.Message(message_type, data, "host_abc123").serialize() == frame


def test_stats_histograms_keep_int_keys_and_merge_exactly():
    data = stats_report()
    msg = rpc.decode(rpc.encode("stats", data, "n1"), rpc.SLAVE_TO_MASTER)
    merged = RequestStats()
    merged.merge(msg.data)
    assert merged.num_requests == 2 and merged.num_failures == 2
    entry = merged.entries[("/", "GET")]
    assert all(isinstance(k, int) for k in entry.response_times)
    assert entry.max_response_time == 250.0


def test_direction_is_checked():
    hatch = rpc.encode("hatch", {"num_clients": 1, "hatch_rate": 1, "host": None,
                                 "class_counts": {"A": 1}, "generation": 1}, "master")
    with pytest.raises(rpc.MessageError, match="unknown message type"):
        rpc.decode(hatch, rpc.SLAVE_TO_MASTER)
    ready = rpc.encode("client_ready", None, "n1")
    with pytest.raises(rpc.MessageError):
        rpc.decode(ready, rpc.MASTER_TO_SLAVE)


def test_pickle_is_never_accepted():
    import pickle
    frame = pickle.dumps(("client_ready", None, "n1"))
    with pytest.raises(rpc.MessageError):
        rpc.decode(frame)


@pytest.mark.parametrize("frame, why", [
    (b"", "not msgpack"),
    (b"\xc1", "not msgpack"),                                 # a reserved byte
    (msgpack.packb(["client_ready", None, "n"]) + b"x", "not msgpack"),  # extra data
    (b"\xdd\xff\xff\xff\xff", "not msgpack"),                 # claims 4 billion items
    (msgpack.packb({"type": "client_ready"}), "array"),
    (msgpack.packb(["client_ready", None]), "array"),
    (msgpack.packb(["client_ready", None, "n", 1]), "array"),
    (msgpack.packb(["nope", None, "n"]), "unknown message type"),
    (msgpack.packb([7, None, "n"]), "unknown message type"),
    (msgpack.packb(["client_ready", None, ""]), "node id"),
    (msgpack.packb(["client_ready", None, b"n"]), "node id"),
    (msgpack.packb(["client_ready", None, "n" * 300]), "node id"),
    (msgpack.packb(["client_ready", [1], "n"]), "map"),
    (msgpack.packb(["client_ready", {1: 2}, "n"]), "map"),
    (msgpack.packb(["hatch_complete", None, "n"]), "map"),
    (msgpack.packb(["hatch_complete", {"count": -1}, "n"]), "count"),
    (msgpack.packb(["hatch_complete", {"count": True}, "n"]), "count"),
    (msgpack.packb(["exception", {"msg": "x"}, "n"]), "traceback"),
    (msgpack.packb(["stats", {"stats": "x", "user_count": 1}, "n"]), "list"),
    (msgpack.packb(["stats", {"stats": [], "user_count": "1"}, "n"]), "user_count"),
    (msgpack.packb(["stats", {"stats": [{"name": "x"}], "user_count": 1}, "n"]), "stats entry"),
    (msgpack.packb(["stats", {"stats": [], "errors": {"k": {"name": 1}}, "user_count": 1},
                    "n"]), "error row"),
    (msgpack.packb(["hatch", {"num_clients": 1, "hatch_rate": 0, "host": None,
                              "class_counts": {}, "generation": 1}, "m"]), "hatch_rate"),
    (msgpack.packb(["hatch", {"num_clients": 1, "hatch_rate": float("nan"), "host": None,
                              "class_counts": {}, "generation": 1}, "m"]), "hatch_rate"),
    (msgpack.packb(["hatch", {"num_clients": 1, "hatch_rate": 1, "host": None,
                              "class_counts": {"A": -1}, "generation": 1}, "m"]), "class_counts"),
    (msgpack.packb(["client_ready", msgpack.ExtType(1, b"x"), "n"]), "not msgpack"),
])
def test_malformed_frames_raise_message_error(frame, why):
    with pytest.raises(rpc.MessageError, match=why):
        rpc.decode(frame)


def test_stats_entry_with_bad_histogram_is_rejected():
    data = stats_report()
    data["stats"][0]["response_times"] = {"12": 1}  # str key: not ours
    with pytest.raises(rpc.MessageError, match="response_times"):
        rpc.decode(rpc.encode("stats", data, "n"))
    data = stats_report()
    data["stats_total"]["num_requests"] = 1.5
    with pytest.raises(rpc.MessageError, match="stats_total"):
        rpc.decode(rpc.encode("stats", data, "n"))


def test_window_and_failure_times_arrive_checked():
    data = stats_report()
    msg = rpc.decode(rpc.encode("stats", data, "n1"), rpc.SLAVE_TO_MASTER)
    merged = RequestStats()
    merged.merge(msg.data)
    login = merged.entries[("/login", "POST")]
    assert login.all_max_response_time == 31.5 and sum(map(len, login.window_times.values())) == 1
    bad_values = [
        ("window_times", {1000: {"12": 1}}),            # str bucket
        ("window_times", {"1000": {12: 1}}),            # str second
        ("window_times", {s: {1: 1} for s in range(rpc.MAX_WINDOW_SLOTS + 1)}),
        ("fail_response_times", {12: -1}),
        ("total_fail_response_time", -5.0),
        ("max_fail_response_time", float("inf")),
        ("min_fail_response_time", "fast"),
    ]
    for field, value in bad_values:
        data = stats_report()
        data["stats"][0][field] = value
        with pytest.raises(rpc.MessageError, match=field):
            rpc.decode(rpc.encode("stats", data, "n"))


@pytest.mark.parametrize("fields", [
    {"cpu": -1.0}, {"cpu": float("nan")}, {"cpu": 1e9},
    {"cpu": "high"}, {"memory": -5}, {"memory": 1.5}, {"memory": True},
])
def test_heartbeat_with_bad_cpu_or_memory_is_rejected(fields):
    frame = rpc.encode("heartbeat", dict({"state": "running", "user_count": 1}, **fields), "n")
    with pytest.raises(rpc.MessageError, match="heartbeat"):
        rpc.decode(frame, rpc.SLAVE_TO_MASTER)


def test_oversized_frame_is_rejected_before_unpacking(monkeypatch):
    monkeypatch.setattr(rpc, "MAX_MESSAGE_SIZE", 100)
    frame = rpc.encode("exception", {"msg": "x" * 200, "traceback": ""}, "n")
    with pytest.raises(rpc.MessageError, match="over the limit"):
        rpc.decode(frame)


def test_random_bytes_never_raise_anything_but_message_error():
    rnd = random.Random(42)
    valid = rpc.encode("stats", stats_report(), "node")
    for i in range(3000):
        if i % 2:
            frame = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 64)))
        else:  # a valid frame with a few bytes flipped: msgpack that is nearly right
            frame = bytearray(valid)
            for _ in range(rnd.randrange(1, 4)):
                frame[rnd.randrange(len(frame))] = rnd.getrandbits(8)
            frame = bytes(frame)
        with contextlib.suppress(rpc.MessageError):
            rpc.decode(frame)


def test_encode_refuses_what_msgpack_cannot_carry():
    with pytest.raises(TypeError):
        rpc.encode("stats", {"custom": {1, 2}}, "n")


def test_rate_limited_log(caplog):
    now = [0.0]
    log = rpc.RateLimitedLog(logging.getLogger("test.rpc"), burst=3, period=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="test.rpc"):
        for i in range(100):
            log.warning("bad frame %d", i)
        assert [r.getMessage() for r in caplog.records] == ["bad frame 0", "bad frame 1",
                                                            "bad frame 2"]
        now[0] = 11.0
        log.warning("bad frame %d", 100)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[3:] == ["97 more similar warnings were not logged", "bad frame 100"]


def test_heartbeat_cpu_field_is_checked():
    for cpu in (None, 0, 57.5, 180.0):
        data = {"state": "running", "user_count": 1, "cpu": cpu}
        assert rpc.decode(rpc.encode("heartbeat", data, "n1"), rpc.SLAVE_TO_MASTER).data == data
    for cpu in (-1, float("nan"), float("inf"), "90", True, rpc.MAX_CPU_PERCENT + 1):
        frame = rpc.encode("heartbeat", {"state": "running", "user_count": 1, "cpu": cpu}, "n1")
        with pytest.raises(rpc.MessageError, match="'cpu'"):
            rpc.decode(frame, rpc.SLAVE_TO_MASTER)
