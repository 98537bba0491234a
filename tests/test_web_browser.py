"""The dashboard in a real headless Chromium, against a real Locust process.

``python -m locust -f <locustfile> -H <target>`` runs as a subprocess on a
free port; the target is a stdlib ThreadingHTTPServer in a thread of this
process.  The browser starts a swarm from the form, sees statistics rows
and a chart, changes the user count, stops the test and downloads a CSV.
Screenshots of the running dashboard are saved to
``test-artifacts/dashboard.png`` (statistics) and ``dashboard-charts.png``.

Skipped when /usr/bin/chromium or Playwright is missing.
"""

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support import free_port
from support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, expect, sync_playwright
from support.locust_process import locust_env

REQUESTS_CSV_HEADER = ('"Method","Name","# requests","# failures","Median response time",'
                       '"Average response time","Min response time","Max response time",'
                       '"Average Content Size","Requests/s"')

LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task


class Browse(TaskSet):
    @task(3)
    def index(self):
        self.client.get("/")

    @task(1)
    def missing(self):
        self.client.get("/missing")   # a 404: shows up as a failure


class WebsiteUser(HttpLocust):
    task_set = Browse
    min_wait = 20
    max_wait = 60
'''


@pytest.fixture
def locust_web(tmp_path, counting_target):
    """A Locust process with its web UI on a free port; yields its base URL."""
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    port = free_port()
    args = ["-f", str(locustfile), "-H", counting_target.url, "--web-host", "127.0.0.1", "-P", str(port)]
    env = locust_env()
    base = "http://127.0.0.1:%d" % port
    with open(tmp_path / "locust.log", "w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "locust"] + args, cwd=str(tmp_path),
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    pytest.fail("locust exited with %s:\n%s" % (proc.returncode, log.read()))
                try:
                    urllib.request.urlopen(base + "/", timeout=2).read()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the dashboard did not come up in 20 s"
                    time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


# Counts the pixels of a series colour on a chart canvas: a line across
# the chart is hundreds of them, the legend swatch alone far fewer.
COLOUR_PIXELS_JS = """([selector, r, g, b]) => {
    const canvas = document.querySelector(selector);
    if (!canvas) return 0;
    if (!canvas.width) return 0;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - r) < 8 && Math.abs(data[i + 1] - g) < 8 &&
            Math.abs(data[i + 2] - b) < 8 && data[i + 3] > 200) n++;
    }
    return n;
}"""


def test_swarm_edit_stop_and_download_in_a_browser(locust_web):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800},
                                    accept_downloads=True)
            errors, foreign = [], []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # Everything the page loads must come from the dashboard itself.
            page.on("request", lambda req: req.url.startswith((locust_web + "/", "data:"))
                    or foreign.append(req.url))
            page.goto(locust_web + "/")
            expect(page.locator("#status")).to_have_text("READY")

            # Start: the form is open on a fresh dashboard.
            expect(page.locator("#start-dialog")).to_be_visible()
            page.fill("#locust-count", "4")
            page.fill("#hatch-rate", "50")
            page.click("#swarm-form button[type=submit]")
            expect(page.locator("#start-dialog")).to_be_hidden()
            expect(page.locator("#status")).to_have_text("RUNNING", timeout=15000)
            expect(page.locator("#user-count")).to_have_text("4", timeout=15000)

            # Statistics rows for both tasks, the 404s among the failures.
            rows = page.locator("#stats-table tbody tr")
            expect(rows.filter(has_text="/missing")).to_have_count(1, timeout=15000)
            expect(rows.filter(has=page.locator("td.name", has_text=re.compile(r"^/$")))
                   ).to_have_count(1)
            expect(page.locator("#stats-table tfoot td").nth(1)).to_have_text("Total")
            page.click("[data-tab=failures]")
            expect(page.locator("#failures-table tbody tr").first).to_contain_text("/missing")

            # Charts (uPlot, from the server's history): lines in the users
            # chart (#7048e8) and the requests chart (#2f9e44) once samples are in.
            page.click("[data-tab=charts]")
            page.wait_for_function("args => (%s)(args) > 300" % COLOUR_PIXELS_JS,
                                   arg=["[data-chart=users] canvas", 0x70, 0x48, 0xe8], timeout=15000)
            page.wait_for_function("args => (%s)(args) > 300" % COLOUR_PIXELS_JS,
                                   arg=["[data-chart=rps] canvas", 0x2f, 0x9e, 0x44], timeout=15000)

            # The legend hides a series; PNG export downloads the chart.
            legend = page.locator("[data-chart=rps] .u-legend .u-series").nth(1)
            legend.click()
            expect(legend).to_have_class(re.compile(r"u-off"))
            with page.expect_download() as info:
                page.click("[data-chart=rps] .chart-png")
            assert info.value.suggested_filename == "locust-requests-per-second.png"
            png = Path(info.value.path()).read_bytes()
            assert png.startswith(b"\x89PNG") and len(png) > 2000
            legend.click()

            # Zoom: a drag across the chart narrows every chart's time range.
            box = page.locator("[data-chart=rps] .u-over").bounding_box()
            full = page.evaluate("() => window.locustDashboard.charts.plots[2].plot.scales.x")
            page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + 20)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + 20, steps=5)
            page.mouse.up()
            zoomed = page.evaluate("() => window.locustDashboard.charts.plots[2].plot.scales.x")
            assert zoomed["max"] - zoomed["min"] < (full["max"] - full["min"]) * 0.5
            page.locator("[data-chart=rps] .u-over").dblclick()

            # Edit: 4 -> 2 users; the header follows.
            page.click("#edit-test")
            expect(page.locator("#edit-dialog")).to_be_visible()
            page.fill("#edit-locust-count", "2")
            page.click("#edit-form button[type=submit]")
            expect(page.locator("#user-count")).to_have_text("2", timeout=15000)
            expect(page.locator("#status")).to_have_text("RUNNING", timeout=15000)

            page.click("[data-tab=stats]")
            page.wait_for_timeout(2500)  # one more poll, so that the RPS is up to date
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
            page.click("[data-tab=charts]")
            page.screenshot(path=str(ARTIFACTS / "dashboard-charts.png"), full_page=True)

            # Stop.
            page.click("#stop")
            expect(page.locator("#status")).to_have_text("STOPPED", timeout=15000)
            expect(page.locator("#user-count")).to_have_text("0")
            expect(page.locator("#new-test")).to_be_visible()

            # Download the requests CSV.
            page.click("[data-tab=download]")
            with page.expect_download() as info:
                page.click("text=Request statistics CSV")
            download = info.value
            assert re.fullmatch(r"requests_\d+\.csv", download.suggested_filename)
            lines = Path(download.path()).read_text().splitlines()
            assert lines[0] == REQUESTS_CSV_HEADER
            index_row = next(line for line in lines if line.startswith('"GET","/",'))
            assert int(index_row.split(",")[2]) > 0
            assert lines[-1].startswith('"","Total",')
            assert errors == []
            assert foreign == []
        finally:
            browser.close()
