"""``verify=False``: urllib3's InsecureRequestWarning once per host, not per
request (locust/_http/insecure.py). Warning filters are process-global, so
each case runs in a fresh interpreter, against a stdlib HTTPS server."""

import pytest

from support import run_child

pytest.importorskip("trustme")

CHILD = """
    import ssl, sys, warnings
    import trustme
    {before}
    from locust.clients import HttpSession
    from support.http_target import start_server

    ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    server = start_server(ssl_context=ctx)
    port = server.server_address[1]
    for host in ("127.0.0.1", "localhost"):
        session = HttpSession("https://%s:%d" % (host, port))
        for _ in range(20):
            assert session.get("/ok", verify=False).status_code == 200
    server.stop()
    print("done")
"""


def test_one_warning_per_host_not_per_request():
    result = run_child(CHILD.format(before=""))
    assert result.stdout.strip() == "done", result.stderr
    assert result.stderr.count("InsecureRequestWarning") == 2, result.stderr
    assert "host '127.0.0.1'" in result.stderr and "host 'localhost'" in result.stderr


def test_a_locustfile_that_silences_it_still_wins():
    # urllib3.disable_warnings() in a locustfile (imported before the HTTP
    # client, or after it) is obeyed.
    for before in ("import urllib3; urllib3.disable_warnings()",
                   "import locust.clients, urllib3; urllib3.disable_warnings()"):
        result = run_child(CHILD.format(before=before))
        assert result.stdout.strip() == "done", result.stderr
        assert "InsecureRequestWarning" not in result.stderr, result.stderr
