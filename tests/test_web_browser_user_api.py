"""The dashboard with the 2.x API, in a real headless Chromium against a real
Locust process: ``--class-picker`` lets the start form choose the user
classes, and with a LoadTestShape in the locustfile the start button runs
the shape. Skipped when /usr/bin/chromium or Playwright is missing."""

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from support import free_port, wait_until
from support.browser import expect, launch, sync_playwright
from support.locust_process import locust_env

PICKER = '''
from locust import HttpUser, constant, task

class Reader(HttpUser):
    wait_time = constant(0.1)

    @task
    def read(self):
        self.client.get("/read")

class Writer(HttpUser):
    wait_time = constant(0.1)

    @task
    def write(self):
        self.client.post("/write")
'''

SHAPE = '''
from locust import HttpUser, LoadTestShape, constant, task

class Shape(LoadTestShape):
    def tick(self):
        return (3, 30) if self.get_run_time() < 60 else None

class Reader(HttpUser):
    wait_time = constant(0.1)

    @task
    def read(self):
        self.client.get("/read")
'''


@pytest.fixture
def start_web(tmp_path, counting_target):
    procs = []

    def start(source, *extra):
        (tmp_path / "lf.py").write_text(source)
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        log = (tmp_path / ("locust%d.log" % len(procs))).open("w+")  # closed at teardown
        proc = subprocess.Popen([sys.executable, "-m", "locust", "-f", "lf.py", "-H", counting_target.url,
                                 "--web-host", "127.0.0.1", "-P", str(port), *extra],
                                cwd=str(tmp_path), env=locust_env(), stdout=log,
                                stderr=subprocess.STDOUT)
        procs.append((proc, log))
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, "locust exited"
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                return base
            except OSError:
                assert time.monotonic() < deadline, "the dashboard did not come up"
                time.sleep(0.1)

    yield start
    for proc, log in procs:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def stats(base):
    with urllib.request.urlopen(base + "/stats/requests", timeout=5) as response:
        return json.load(response)


def test_class_picker_runs_the_chosen_classes(start_web, counting_target):
    base = start_web(PICKER, "--class-picker")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(base + "/")
        expect(page.locator("#class-picker")).to_be_visible()  # the start form opens by itself
        page.fill("#locust-count", "4")
        page.fill("#hatch-rate", "40")
        page.locator("input[name=user_classes][value=Writer]").check()
        page.locator("#swarm-form button[type=submit]").click()
        assert wait_until(lambda: stats(base)["user_count"] == 4, timeout=15, sleep=time.sleep)
        browser.close()
    assert wait_until(lambda: counting_target.counts.get("/write", 0) > 5, timeout=15, sleep=time.sleep)
    assert "/read" not in counting_target.counts
    names = {row["name"] for row in stats(base)["stats"]}
    assert "/write" in names and "/read" not in names


def test_start_button_runs_the_shape(start_web, counting_target):
    base = start_web(SHAPE)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(base + "/")
        expect(page.locator("#class-picker")).to_have_count(0)
        page.fill("#locust-count", "50")     # the shape decides, not the form
        page.fill("#hatch-rate", "1")
        page.locator("#swarm-form button[type=submit]").click()
        assert wait_until(lambda: stats(base)["user_count"] == 3, timeout=15, sleep=time.sleep)
        browser.close()
    assert wait_until(lambda: counting_target.counts.get("/read", 0) > 5, timeout=15, sleep=time.sleep)
