"""The HTML report in a real headless Chromium, with the network off.

A real run (``python -m locust --headless ... --html``) against the counting
target writes the report; Chromium opens the file with the context offline
(``context.set_offline(True)``) and every request that is not for the file
itself aborted, and the page must draw its tables and its three charts and
ask for nothing. A report downloaded from the dashboard's "Download data"
tab (behind ``--web-auth``) is opened the same way.

Screenshots: ``test-artifacts/html-report.png`` (light),
``html-report-dark.png`` (the system's dark theme) and
``html-report-downloaded.png``.

Skipped when /usr/bin/chromium or Playwright is missing.
"""

import base64
import re
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from locust import html_report
from locust.stats import RequestStats
from support import free_port, wait_until
from support.browser import ARTIFACTS, launch, sync_playwright
from support.locust_process import LocustProcess, run_locust, wait_for_http
from support.report_page import assert_matches_csv, report_data

LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task

class T(TaskSet):
    @task(6)
    def index(self):
        self.client.get("/")

    @task(1)
    def fail(self):
        self.client.get("/fail")

    @task(1)
    def crash(self):
        raise ValueError("a task that always raises")

class WebsiteUser(HttpLocust):
    task_set = T
    min_wait = 10
    max_wait = 40
'''

# Pixels of the canvas that are drawn (not transparent): lines, grid, axes.
DRAWN_JS = """() => [...document.querySelectorAll('.chart-card canvas')].map(c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 200) n++;
    return n;
})"""


def offline_page(browser, **context_args):
    """A page in an offline context that aborts every request not for a file:// URL.

    Returns (page, context, requested URLs, page errors).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_args)
    context.set_offline(True)
    requested, errors = [], []

    def guard(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("request", lambda req: requested.append(req.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
    return page, context, requested, errors


def check_drawn(page, data):
    """The page shows the report's numbers and three drawn charts."""
    assert page.locator(".chart-card").count() == 3
    assert page.evaluate("() => window.reportCharts.length") == len(data["history"]["time"])
    drawn = page.evaluate(DRAWN_JS)
    assert len(drawn) == 3 and all(n > 1000 for n in drawn), drawn
    total = data["total"]
    assert page.locator("#summary-requests").inner_text() == "{:,}".format(total["num_requests"])
    footer = page.locator("#requests-table tfoot td")
    assert footer.nth(2).inner_text() == str(total["num_requests"])
    assert footer.nth(3).inner_text() == str(total["num_failures"])


def test_the_report_of_a_real_run_renders_offline(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    result = run_locust(["--headless", "-u", "4", "-r", "2", "-t", "6s", "-H", counting_target.url,
                         "--csv", "out", "--html", "report.html", "--only-summary",
                         "--threshold", "p95<2s", "--threshold", "fail_ratio<5%"], tmp_path)
    assert result.returncode in (1, 3), result.stderr
    path = tmp_path / "report.html"
    data = assert_matches_csv(path.read_text(), tmp_path / "out")
    assert data["total"]["num_requests"] == counting_target.count
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page, _context, requested, errors = offline_page(browser)
            page.goto(path.as_uri())
            check_drawn(page, data)
            assert page.locator("#thresholds-table tbody tr").count() == 2
            assert page.locator("#failures-table tbody tr").count() == 1
            assert "a task that always raises" in page.locator("#exceptions-table").inner_text()
            # Legends hide series, as on the dashboard.
            page.locator(".chart-card[data-chart=rps] .u-legend .u-series").nth(2).click()
            assert page.evaluate("() => window.reportCharts.plots[0].plot.series[2].show") is False
            page.locator(".chart-card[data-chart=rps] .u-legend .u-series").nth(2).click()
            page.screenshot(path=str(ARTIFACTS / "html-report.png"), full_page=True)
            assert errors == []
            assert requested and all(url.startswith("file:") for url in requested), requested
            # The guard works: a request the page would make is refused.
            probe = "() => fetch('http://127.0.0.1:9/x').then(() => 'fetched', () => 'refused')"
            assert page.evaluate(probe) == "refused"

            page, _context, requested, errors = offline_page(browser, color_scheme="dark")
            page.goto(path.as_uri())
            check_drawn(page, data)
            background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(17, 24, 30)"
            page.screenshot(path=str(ARTIFACTS / "html-report-dark.png"), full_page=True)
            assert errors == [] and [u for u in requested if not u.startswith("file:")] == []
        finally:
            browser.close()


class _Runner:
    def __init__(self, stats):
        self.stats = stats
        self.state = "stopped"
        self.exceptions = {}
        self.locust_classes = []


def test_hostile_names_stay_text(tmp_path):
    evil = "/x</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    stats = RequestStats()
    stats.log_request("GET", evil, 12, 10)
    stats.log_error("GET", evil, "<b onmouseover=alert(3)>boom</b>")
    path = tmp_path / "evil.html"
    html_report.write(_Runner(stats), str(path))
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page, _context, requested, errors = offline_page(browser)
            page.goto(path.as_uri())
            assert page.locator("#requests-table tbody td.name").first.inner_text() == evil
            assert "<b onmouseover=alert(3)>boom</b>" in page.locator("#failures-table").inner_text()
            assert page.locator("#charts-empty").is_visible()  # no history: no charts, no error
            assert errors == []
            assert [url for url in requested if not url.startswith("file:")] == []
        finally:
            browser.close()


def test_the_dashboard_download_opens_offline(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    auth = ("admin", "s3cret")
    header = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()}
    proc = LocustProcess(["-f", "locustfile.py", "-H", counting_target.url, "--web-host", "127.0.0.1",
                          "-P", str(port), "--web-auth", "%s:%s" % auth], tmp_path, "web")
    try:
        wait_for_http(base + "/", alive=lambda: proc.popen.poll() is None)
        form = urlencode({"locust_count": 3, "hatch_rate": 3}).encode()
        urllib.request.urlopen(urllib.request.Request(base + "/swarm", form, header), timeout=10).read()
        assert wait_until(lambda: counting_target.count > 100, timeout=20, sleep=time.sleep)
        time.sleep(4)  # a few history samples
        urllib.request.urlopen(urllib.request.Request(base + "/stop", headers=header), timeout=30).read()
        with sync_playwright() as p:
            browser = launch(p)
            try:
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900}, accept_downloads=True,
                    http_credentials={"username": auth[0], "password": auth[1]})
                page = context.new_page()
                page.goto(base + "/")
                page.click("[data-tab=download]")
                with page.expect_download() as info:
                    page.click("#report-download")
                download = info.value
                assert re.fullmatch(r"locust_report_\d+\.html", download.suggested_filename)
                saved = tmp_path / download.suggested_filename
                download.save_as(str(saved))
                data = report_data(saved.read_text())
                assert data["total"]["num_requests"] == counting_target.count
                assert data["run"]["users"] == 3 and data["run"]["state"] == "stopped"

                page, _context, requested, errors = offline_page(browser)
                page.goto(saved.as_uri())
                check_drawn(page, data)
                page.screenshot(path=str(ARTIFACTS / "html-report-downloaded.png"), full_page=True)
                assert errors == []
                assert [url for url in requested if not url.startswith("file:")] == []
            finally:
                browser.close()
    finally:
        proc.kill()
    assert Path(saved).stat().st_size > 50_000  # uPlot and the charts are inside
