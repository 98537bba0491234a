"""FastHttpLocust through ``python -m locust``: host checks and exact counts."""

import textwrap

import pytest

from support.locust_process import assert_one_clean_line, csv_total, run_locust

LOCUSTFILE = '''
from locust import TaskSet, task
from locust.contrib.fasthttp import FastHttpLocust


class Tasks(TaskSet):
    @task(3)
    def ok(self):
        self.client.get("/")

    @task
    def failing(self):
        self.client.get("/fail")

    @task
    def checked(self):
        with self.client.get("/missing", catch_response=True) as response:
            if response.status_code == 404:
                response.success()


class FastUser(FastHttpLocust):
    task_set = Tasks
    min_wait = 0
    max_wait = 5
'''


@pytest.fixture
def locustfile(tmp_path):
    path = tmp_path / "locustfile.py"
    path.write_text(textwrap.dedent(LOCUSTFILE))
    return path


def test_headless_run_counts_every_request_once(locustfile, tmp_path, counting_target):
    prefix = tmp_path / "out"
    result = run_locust(["--no-web", "-c", "10", "-r", "100", "-t", "2s", "-H", counting_target.url,
                         "--csv", str(prefix)], tmp_path)
    assert result.returncode == 1, result.stderr  # there were failures
    assert "Traceback" not in result.stderr
    successes, failures = csv_total(prefix)  # "# requests" counts the successes
    assert successes > 50 and 0 < failures < successes
    assert successes + failures == counting_target.count  # nothing lost, nothing counted twice


def test_no_host_is_one_line_and_status_1(locustfile, tmp_path):
    result = run_locust(["--no-web", "-c", "1", "-t", "1s"], tmp_path)
    assert result.returncode == 1
    assert "FastUser has no host" in result.stderr
    assert_one_clean_line(result)


def test_a_host_that_is_not_http_is_a_usage_error(locustfile, tmp_path):
    result = run_locust(["--no-web", "-c", "1", "-t", "1s", "-H", "notaurl"], tmp_path)
    assert result.returncode == 2
    assert "FastUser needs an http:// or https:// host" in result.stderr
    assert_one_clean_line(result)
