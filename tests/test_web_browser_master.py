"""The dashboard of a master with two slaves, in a real headless Chromium.

``python -m locust --master`` with its web UI and two ``--slave`` processes
run as subprocesses on free ports; the target is a stdlib
ThreadingHTTPServer in a thread of this process that counts every request
it receives.  The browser waits for both slaves, starts a swarm of 4 users
from the form, sees statistics rows, checks the slaves tab (2 users on
each), stops the test from the Stop button, and the merged total is then
compared with the target's own count.  Then a second swarm runs, one slave
is killed (SIGKILL) and the warning banner says how many users no longer
run.  Screenshots: ``test-artifacts/dashboard-slaves.png`` (the slaves tab,
with each slave's CPU and memory) and ``dashboard-slave-missing.png``.

Skipped when /usr/bin/chromium or Playwright is missing.
"""

import json
import re
import subprocess
import sys
import time
import types
import urllib.request

import pytest

# Importing support.browser skips this module when Chromium or
# Playwright is missing.
from support import free_port, free_port_pair
from support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, expect, sync_playwright
from support.locust_process import locust_env

USERS = 4
SLAVES = 2

LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task


class Browse(TaskSet):
    @task(3)
    def index(self):
        self.client.get("/")

    @task(1)
    def about(self):
        self.client.get("/about")


class WebsiteUser(HttpLocust):
    task_set = Browse
    min_wait = 20
    max_wait = 60
'''


@pytest.fixture
def target(counting_target):
    """A stdlib HTTP server in a thread; ``.count`` is requests received."""
    return counting_target


def get_json(url):
    """GET ``url`` and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def cluster(tmp_path, target):
    """A master with its web UI and two slave processes; yields ``.url`` (the
    dashboard's) and ``.slaves`` (their Popen objects).

    Every process is terminated (then killed if it lingers) in the finalizer,
    whatever the test did.
    """
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    port = free_port_pair()
    web_port = free_port(avoid=(port, port + 1))
    env = locust_env()
    procs, logs = [], []

    def spawn(name, args):
        log = open(tmp_path / (name + ".log"), "w+")  # noqa: SIM115 - closed by the test at the end
        logs.append((name, log))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", "locustfile.py"] + args, cwd=str(tmp_path),
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))

    def all_logs():
        text = []
        for name, log in logs:
            log.flush()
            log.seek(0)
            text.append("--- %s\n%s" % (name, log.read()))
        return "\n".join(text)

    base = "http://127.0.0.1:%d" % web_port
    try:
        # Heartbeats every 0.5 s: a killed slave is missing after 1.5 s.
        spawn("master", ["-H", target.url, "--master", "--master-bind-host", "127.0.0.1",
                         "--master-bind-port", str(port), "--web-host", "127.0.0.1",
                         "--web-port", str(web_port), "--heartbeat-interval", "0.5"])
        for i in range(SLAVES):
            spawn("slave%d" % i, ["--slave", "--master-host", "127.0.0.1",
                                  "--master-port", str(port), "--heartbeat-interval", "0.5"])
        deadline = time.monotonic() + 20
        while True:
            exited = [p.returncode for p in procs if p.poll() is not None]
            if exited:
                pytest.fail("a locust process exited with %s:\n%s" % (exited, all_logs()))
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, \
                    "the dashboard did not come up in 20 s:\n" + all_logs()
                time.sleep(0.1)
        yield types.SimpleNamespace(url=base, slaves=procs[1:])
    finally:
        # Slaves first, so that none is left waiting for a master that is gone.
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for _, log in logs:
            log.close()


def test_master_dashboard_with_two_slaves(cluster, target):
    """Start, watch (statistics, slaves tab) and stop a 4-user swarm over 2 slaves;
    then run again and kill a slave: the banner tells."""
    slaves = cluster.slaves
    cluster = cluster.url
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors, foreign = [], []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # Everything the page loads must come from the dashboard itself.
            page.on("request", lambda req: req.url.startswith((cluster + "/", "data:"))
                    or foreign.append(req.url))
            page.goto(cluster + "/")
            expect(page.locator("#status")).to_have_text("READY")
            # The header follows the slaves as they connect (page load or poll).
            expect(page.locator("#slave-count")).to_have_text(str(SLAVES), timeout=15000)

            # Start a swarm of 4 from the form, which is open on a fresh dashboard.
            expect(page.locator("#start-dialog")).to_be_visible()
            page.fill("#locust-count", str(USERS))
            page.fill("#hatch-rate", "50")
            page.click("#swarm-form button[type=submit]")
            expect(page.locator("#start-dialog")).to_be_hidden()
            expect(page.locator("#status")).to_have_text("RUNNING", timeout=15000)
            expect(page.locator("#user-count")).to_have_text(str(USERS), timeout=15000)

            # Statistics rows from the slaves' reports, merged on the master.
            rows = page.locator("#stats-table tbody tr")
            expect(rows.filter(has_text="/about")).to_have_count(1, timeout=15000)
            expect(rows.filter(has=page.locator("td.name", has_text=re.compile(r"^/$")))
                   ).to_have_count(1)
            expect(page.locator("#stats-table tfoot td").nth(1)).to_have_text("Total")

            # The slaves tab: two rows, each running 2 users under its node id.
            page.click("[data-tab=slaves]")
            expect(page.locator("#panel-slaves")).to_be_visible()
            slave_rows = page.locator("#slaves-table tbody tr")
            expect(slave_rows).to_have_count(SLAVES)
            for i in range(SLAVES):
                cells = slave_rows.nth(i).locator("td")
                expect(cells.nth(1)).to_have_text("running")
                expect(cells.nth(2)).to_have_text(str(USERS // SLAVES))
                # CPU and memory, from the slave's heartbeats.
                expect(cells.nth(3)).to_have_text(re.compile(r"^\d+%"), timeout=10000)
                expect(cells.nth(4)).to_have_text(re.compile(r"^\d+ MB$"))
            expect(page.locator("#slaves-empty")).to_be_hidden()
            shown_ids = sorted(slave_rows.locator("td.name").all_text_contents())
            known_ids = sorted(s["id"] for s in get_json(cluster + "/stats/requests")["slaves"])
            assert shown_ids == known_ids
            # A slave's id is its host name and a random hex suffix.
            assert all(re.search(r"_[0-9a-f]{32}$", node_id) for node_id in shown_ids)
            assert len(set(shown_ids)) == SLAVES
            page.screenshot(path=str(ARTIFACTS / "dashboard-slaves.png"), full_page=True)

            # Stop from the button: the master waits for the slaves' confirmations.
            page.click("#stop")
            expect(page.locator("#status")).to_have_text("STOPPED", timeout=15000)
            expect(page.locator("#user-count")).to_have_text("0")
            expect(page.locator("#new-test")).to_be_visible()
            for i in range(SLAVES):
                expect(slave_rows.nth(i).locator("td").nth(1)).to_have_text("stopped")
            assert errors == []
            assert foreign == []

            # Every request the target saw was reported (see count_matches).
            count_matches(cluster, target)
            # The master's history is the merged one: every request is in a sample.
            history = get_json(cluster + "/stats/history")
            assert history["time"] and max(history["user_count"]) == USERS
            total = get_json(cluster + "/stats/requests")["stats"][-1]
            ends = history["time"]
            widths = [end - start for start, end in zip([history["start_time"]] + ends[:-1], ends)]
            assert sum(rps * width for rps, width in zip(history["rps"], widths)) == pytest.approx(
                total["num_requests"] + total["num_failures"], abs=0.5)

            # Run again, and kill a slave: the banner says what no longer runs.
            data = "locust_count=%d&hatch_rate=50" % USERS
            urllib.request.urlopen(cluster + "/swarm", data=data.encode(), timeout=10).read()
            expect(page.locator("#user-count")).to_have_text(str(USERS), timeout=15000)
            expect(page.locator("#slaves-missing")).to_be_hidden()
            slaves[0].kill()
            slaves[0].wait(10)
            banner = page.locator("#slaves-missing")
            expect(banner).to_be_visible(timeout=15000)
            expect(banner).to_have_text("1 of 2 slaves missing: %d of %d users running"
                                        % (USERS - USERS // SLAVES, USERS), timeout=10000)
            expect(slave_rows.locator("td", has_text="missing")).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "dashboard-slave-missing.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()


def count_matches(cluster, target):
    """The merged total equals the target's count, give or take one request per user."""
    # Every request the target saw was reported, give or take one in flight
    # per user at the stop; the slaves' final reports may still be arriving.
    deadline = time.monotonic() + 5
    while True:
        report = get_json(cluster + "/stats/requests")
        total = report["stats"][-1]
        assert total["name"] == "Total"
        with target.lock:
            seen = target.count
        if total["num_requests"] == seen or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert report["state"] == "stopped"
    assert seen > 0 and total["num_failures"] == 0
    assert abs(total["num_requests"] - seen) <= USERS, (total["num_requests"], seen)
