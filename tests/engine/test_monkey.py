"""locust.engine.monkey: patch_all makes stdlib clients cooperative.

Monkey patching is process-global, so every scenario runs in a fresh
interpreter (support.run_child) and reports back on stdout.
"""

import json

from support import run_child
from support.servers import XMLRPC_SERVER, server_process


def child_json(code, *args):
    result = run_child(code, args=[str(a) for a in args])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_xmlrpc_client_calls_run_concurrently_after_patch_all():
    with server_process(XMLRPC_SERVER) as port:
        out = child_json("""
            import json, sys, time
            from locust.engine import monkey
            monkey.patch_all()
            import xmlrpc.client
            from locust.engine import joinall, spawn

            url = "http://127.0.0.1:%s/" % sys.argv[1]
            # The server answers once all 20 calls are in at once: one
            # after the other, the first would never be answered.
            xmlrpc.client.ServerProxy(url).expect(20)
            def call(i):
                return xmlrpc.client.ServerProxy(url).slow_double(i)
            greenlets = [spawn(call, i) for i in range(20)]
            joinall(greenlets, timeout=60)
            print(json.dumps({"values": [g.get() for g in greenlets]}))
            """, port)
    assert out["values"] == [2 * i for i in range(20)]


def test_time_sleep_select_and_selectors_are_cooperative():
    out = child_json("""
        import json, select, selectors, socket, time
        from locust.engine import monkey, joinall, spawn
        monkey.patch_all()
        ticks = []
        def ticker():
            while True:
                ticks.append(1)
                time.sleep(0.01)
        tick = spawn(ticker)

        order = []
        def sleeper():
            order.append("in")
            time.sleep(0.3)
            order.append("out")
        joinall([spawn(sleeper) for _ in range(4)])
        sleeps = "".join(o[0] for o in order)    # "iiiioooo" if they slept together

        a, b = socket.socketpair()
        def wake():
            time.sleep(0.1)
            b.sendall(b"!")
        spawn(wake)
        before = len(ticks)
        started = time.monotonic()
        r, w, x = select.select([a], [], [], 5)
        select_wait = time.monotonic() - started
        select_ticks = len(ticks) - before
        ready = [r == [a], w == [], x == []]
        assert a.recv(1) == b"!"
        empty = select.select([a], [], [], 0.05)
        writable = select.select([], [b], [], 0)

        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ)
        spawn(wake)
        before = len(ticks)
        events = sel.select(5)
        selector_ticks = len(ticks) - before
        tick.kill()
        print(json.dumps({
            "sleeps": sleeps, "select_wait": select_wait, "select_ticks": select_ticks,
            "ready": ready, "empty": empty == ([], [], []), "writable": writable[1] == [b],
            "selector": type(sel).__name__, "selector_events": [k.fileobj is a for k, _ in events],
            "selector_ticks": selector_ticks, "pair": type(a).__module__,
        }))
        """)
    assert out["sleeps"] == "iiiioooo"     # one after the other: "ioioioio"
    assert out["select_wait"] > 0.05 and out["select_ticks"] >= 1   # others ran meanwhile
    assert out["ready"] == [True, True, True]
    assert out["empty"] and out["writable"]
    assert out["selector"] == "CooperativeSelector"
    assert out["selector_events"] == [True] and out["selector_ticks"] >= 1
    assert out["pair"] == "locust.engine.net"


def test_patch_all_is_idempotent_and_the_engine_keeps_the_originals():
    out = child_json("""
        import json, select, selectors, socket, ssl, threading, time
        from locust.engine import monkey, net, get_hub
        original_socket, original_sleep = socket.socket, time.sleep
        assert not monkey.is_patched()
        monkey.patch_all()
        first = (socket.socket, time.sleep, select.select, ssl.SSLContext.sslsocket_class)
        monkey.patch_all()
        second = (socket.socket, time.sleep, select.select, ssl.SSLContext.sslsocket_class)
        tls = ssl.create_default_context().wrap_socket(socket.socket(),
                                                       server_hostname="example.test")
        # Another OS thread keeps the blocking originals.
        thread_result = []
        def in_thread():
            time.sleep(0.01)
            thread_result.append(select.select([], [], [], 0.01))
        t = threading.Thread(target=in_thread)
        t.start()
        t.join()
        hub = get_hub()
        print(json.dumps({
            "patched": monkey.is_patched(), "same": first == second,
            "socket": socket.socket is net.socket, "sleep_changed": time.sleep is not original_sleep,
            "tls": type(tls).__name__ + "." + type(tls).__module__,
            "hub_selector": type(hub.selector).__name__,
            "net_base": net._StdSocket is original_socket,
            "thread": thread_result == [([], [], [])],
        }))
        """)
    assert out == {"patched": True, "same": True, "socket": True, "sleep_changed": True,
                   "tls": "SSLSocket.locust.engine.tls", "hub_selector": "EpollSelector",
                   "net_base": True, "thread": True}


def test_http_client_and_urllib_after_patch_all():
    with server_process(XMLRPC_SERVER) as port:
        out = child_json("""
            import json, sys, time
            from locust.engine import monkey
            monkey.patch_all()
            import urllib.request, urllib.error
            from locust.engine import joinall, spawn

            body = b"<?xml version='1.0'?><methodCall><methodName>slow_double</methodName>" \\
                   b"<params><param><value><int>21</int></value></param></params></methodCall>"
            import xmlrpc.client
            xmlrpc.client.ServerProxy("http://127.0.0.1:%s/" % sys.argv[1]).expect(10)
            def call():
                request = urllib.request.Request("http://localhost:%s/RPC2" % sys.argv[1],
                                                 data=body,
                                                 headers={"Content-Type": "text/xml"})
                return urllib.request.urlopen(request, timeout=10).read().decode()
            greenlets = [spawn(call) for _ in range(10)]
            joinall(greenlets, timeout=60)
            # All 10 answered: they were at the server together.
            print(json.dumps({"ok": all("<int>42</int>" in g.get() for g in greenlets)}))
            """, port)
    assert out["ok"]
