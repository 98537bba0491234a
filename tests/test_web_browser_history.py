"""The dashboard's history, charts and honest state, in a real headless Chromium.

One ``python -m locust`` process with its web UI, against the counting
target (a stdlib server in a thread of this process) whose answers the
test slows down from ~10 ms to ~200 ms half-way.  One test covers, in
order: a page opened 20 s after the start draws the charts from the start;
the shift shows in the p50 line within 10 s; a reload keeps the charts; a
row whose requests all fail shows times and a rate; the Logs tab
highlights a warning; after a stop the header shows the run's average RPS;
a reset clears exceptions, failures and the charts; the page at 800 px in
the dark theme has no sideways scroll; losing the server greys the numbers
out.  Screenshots go to ``test-artifacts/history-*.png``.

Skipped when /usr/bin/chromium or Playwright is missing.
"""

import json
import time
import urllib.request

import pytest

from support import free_port
from support.browser import ARTIFACTS, expect, launch, sync_playwright
from support.locust_process import LocustProcess, wait_for_http

LOCUSTFILE = '''
import logging
from locust import HttpLocust, TaskSet, task

warned = []


class Browse(TaskSet):
    @task(6)
    def index(self):
        self.client.get("/")

    @task(1)
    def broken(self):
        # Always a 500: a row of failures only.
        self.client.get("/fail/always")

    @task(1)
    def crash(self):
        if not warned:
            warned.append(1)
            logging.getLogger("locustfile").warning("the crash task ran: an exception follows")
        raise ValueError("a task that raises")


class WebsiteUser(HttpLocust):
    task_set = Browse
    min_wait = 20
    max_wait = 60
'''

USERS = 5


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post(url, fields):
    data = "&".join("%s=%s" % item for item in fields.items()).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def locust_web(tmp_path, counting_target):
    """A Locust process with its web UI on a free port; yields (base URL, process)."""
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    port = free_port()
    proc = LocustProcess(["-f", "locustfile.py", "-H", counting_target.url, "--web-host",
                          "127.0.0.1", "-P", str(port)], tmp_path, "locust")
    base = "http://127.0.0.1:%d" % port
    try:
        wait_for_http(base + "/", alive=lambda: proc.popen.poll() is None)
        yield base, proc
    finally:
        proc.popen.terminate()
        try:
            proc.wait(10)
        except Exception:
            proc.kill()


CHART_DATA = "() => window.locustDashboard.charts.data"


def test_history_charts_shift_reload_and_honest_state(locust_web, counting_target):
    base, proc = locust_web
    counting_target.delay = 0.01
    assert post(base + "/swarm", {"locust_count": USERS, "hatch_rate": 50})["success"]
    started = time.time()
    time.sleep(20)

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base + "/")
            expect(page.locator("#status")).to_have_text("RUNNING")

            # Opened 20 s after the start: the charts begin at the start.
            page.wait_for_function("() => window.locustDashboard.charts.length >= 8", timeout=10000)
            data = page.evaluate(CHART_DATA)
            assert data["time"][0] - started <= 3.5, (data["time"][0], started)
            assert all(u == USERS for u in data["user_count"][2:])
            assert all(p50 is not None and p50 < 100 for p50 in data["p50"][1:])

            # The shift: ~10 ms -> ~200 ms; the p50 line follows within 10 s.
            page.click("[data-tab=charts]")
            counting_target.delay = 0.2
            shifted = time.time()
            page.wait_for_function(
                "() => { const d = window.locustDashboard.charts.data;"
                " return d.p50.length && d.p50[d.p50.length - 1] >= 150; }", timeout=20000)
            took = time.time() - shifted
            assert took <= 10, "the p50 line showed the shift after %.1f s" % took
            page.wait_for_timeout(2500)   # one more point, for the picture
            page.screenshot(path=str(ARTIFACTS / "history-charts-shift.png"), full_page=True)
            before = page.evaluate(CHART_DATA)

            # A reload keeps the charts: the whole history comes back.
            page.reload()
            page.click("[data-tab=charts]")
            page.wait_for_function("n => window.locustDashboard.charts.length >= n",
                                   arg=len(before["time"]), timeout=10000)
            after = page.evaluate(CHART_DATA)
            assert after["time"][:len(before["time"])] == before["time"]
            assert after["p50"][:len(before["p50"])] == before["p50"]
            page.screenshot(path=str(ARTIFACTS / "history-charts-reloaded.png"), full_page=True)

            # A row of failures only still shows its times and its rate.
            page.click("[data-tab=stats]")
            row = page.locator("#stats-table tbody tr", has_text="/fail/always")
            expect(row).to_have_count(1, timeout=10000)
            cells = row.locator("td")
            expect(cells.nth(2)).to_have_text("0")                  # requests: successes
            assert int(cells.nth(3).inner_text()) > 0              # failures
            assert float(cells.nth(4).inner_text().replace(",", "")) >= 10    # median (cumulative)
            assert float(cells.nth(11).inner_text()) > 0           # current RPS
            assert float(cells.nth(12).inner_text()) > 0           # current fails/s
            page.screenshot(path=str(ARTIFACTS / "history-stats.png"), full_page=True)

            # The Logs tab: the locustfile's warning, highlighted.
            page.click("[data-tab=logs]")
            warning = page.locator("#logs li.log-warning", has_text="the crash task ran")
            expect(warning).to_have_count(1, timeout=10000)
            page.screenshot(path=str(ARTIFACTS / "history-logs.png"), full_page=True)

            # Stop: the header shows the run's average RPS, not a decaying value.
            page.click("#stop")
            expect(page.locator("#status")).to_have_text("STOPPED", timeout=15000)
            expect(page.locator("#rps-label")).to_have_text("Avg RPS", timeout=5000)
            report = get_json(base + "/stats/requests")
            shown = float(page.locator("#total-rps").inner_text())
            assert shown == pytest.approx(report["average_rps"], abs=0.06) and shown > 0
            page.wait_for_timeout(2500)
            assert float(page.locator("#total-rps").inner_text()) == shown
            page.screenshot(path=str(ARTIFACTS / "history-stopped.png"), full_page=True)

            # Reset: exceptions, failures and the charts are cleared everywhere.
            page.click("[data-tab=exceptions]")
            expect(page.locator("#exceptions-table tbody tr")).to_have_count(1, timeout=10000)
            page.click("#reset")
            expect(page.locator("#exceptions-table tbody tr")).to_have_count(0, timeout=10000)
            expect(page.locator("#exceptions-badge")).to_be_hidden()
            expect(page.locator("#failures-badge")).to_be_hidden()
            page.wait_for_function("() => window.locustDashboard.charts.length === 0", timeout=5000)
            assert get_json(base + "/exceptions") == {"exceptions": []}
            assert get_json(base + "/stats/history")["time"] == []
            assert errors == []
        finally:
            browser.close()

        # 800 px wide, dark theme: no sideways scroll, long names wrap at "/".
        browser = launch(p)
        try:
            context = browser.new_context(viewport={"width": 800, "height": 900}, color_scheme="dark")
            page = context.new_page()
            assert post(base + "/swarm", {"locust_count": 2, "hatch_rate": 50})["success"]
            page.goto(base + "/")
            expect(page.locator("#stats-table tbody tr", has_text="/fail/always")).to_have_count(
                1, timeout=15000)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 800, "the page is %d px wide at 800 px" % width
            background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(17, 24, 30)"
            page.screenshot(path=str(ARTIFACTS / "history-800-dark.png"), full_page=True)
            page.click("[data-tab=charts]")
            page.wait_for_function("() => window.locustDashboard.charts.length >= 2", timeout=15000)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 800, "the charts are %d px wide at 800 px" % width
            page.screenshot(path=str(ARTIFACTS / "history-800-dark-charts.png"), full_page=True)

            # The server goes away: the numbers grey out.
            proc.popen.terminate()
            proc.wait(15)
            expect(page.locator("#connection-lost")).to_be_visible(timeout=10000)
            assert "stale" in page.evaluate("() => document.body.className")
            page.screenshot(path=str(ARTIFACTS / "history-connection-lost.png"), full_page=True)
        finally:
            browser.close()
