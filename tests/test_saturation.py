"""Tests of the generator-saturation warning (locust/saturation.py): the rule on a
fake clock, a master judging its slaves' heartbeat figures, and real runs whose
locustfile burns CPU (with the limits lowered by the locustfile, so that the
test takes seconds and does not depend on the machine being idle)."""

import re
import types

from locust import saturation
from locust.saturation import CpuMonitor, Sustained
from support.locust_process import run_locust


def test_sustained_fires_once_after_the_time_above():
    rule = Sustained(threshold=90, seconds=10)
    assert not rule.update(0, 95)          # the first sample starts the span
    assert not rule.update(2, 95)
    assert not rule.update(4, 50)          # a dip starts over
    fired = [t for t in range(6, 30, 2) if rule.update(t, 99)]
    assert fired == [14]                   # above since 4 (the dip's end): 10 s at 14
    assert not rule.update(40, 99) and rule.fired
    assert not Sustained(90, 10).update(100, None)


class FakeTimes:
    def __init__(self):
        self.wall = 0.0
        self.cpu = 0.0

    def advance(self, seconds, busy):
        self.wall += seconds
        self.cpu += seconds * busy


def test_monitor_sets_the_runner_fields_and_warns_once(caplog):
    times = FakeTimes()
    runner = types.SimpleNamespace()
    monitor = CpuMonitor(runner, clock=lambda: times.wall, cpu_seconds=lambda: times.cpu)
    assert runner.cpu_warning is None and runner.cpu_percent is None
    monitor.sample()
    for _ in range(4):
        times.advance(2, 0.5)
        monitor.sample()
    assert runner.cpu_percent == 50.0 and runner.cpu_warning is None
    for _ in range(6):
        times.advance(2, 0.97)
        monitor.sample()
    assert round(runner.cpu_percent) == 97
    assert "saturated" in runner.cpu_warning and "more than 90% CPU for 10 s" in runner.cpu_warning
    assert len([r for r in caplog.records if "saturated" in r.getMessage()]) == 1


def test_a_master_names_the_saturated_slave():
    times = FakeTimes()
    busy = types.SimpleNamespace(id="host_busy", cpu_percent=99.0)
    idle = types.SimpleNamespace(id="host_idle", cpu_percent=20.0)
    runner = types.SimpleNamespace(clients={"host_busy": busy, "host_idle": idle})
    monitor = CpuMonitor(runner, clock=lambda: times.wall, cpu_seconds=lambda: times.cpu)
    monitor.sample()
    for _ in range(7):
        times.advance(2, 0.1)
        monitor.sample()
    assert "slave host_busy used more than 90%" in runner.cpu_warning
    assert "host_idle" not in runner.cpu_warning


BURNING = '''
import time
from locust import HttpLocust, TaskSet, task
from locust import saturation

# Lowered so that the test is short and holds on a shared machine (with
# four test workers on two cores a busy process may get a third of a core).
saturation.CPU_THRESHOLD = 10.0
saturation.SUSTAINED_SECONDS = 2.0
saturation.SAMPLE_INTERVAL = 0.5

class Burn(TaskSet):
    @task
    def burn(self):
        end = time.perf_counter() + 0.05
        while time.perf_counter() < end:
            pass
        self.client.get("/")

class U(HttpLocust):
    task_set = Burn
    min_wait = 0
    max_wait = 0
'''


def test_a_saturated_run_warns_and_says_so_in_the_summary(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(BURNING)
    result = run_locust(["--headless", "-u", "2", "-r", "100", "-t", "5s", "-H", counting_target.url,
                         "--only-summary"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"WARNING/locust.saturation: The load generator is saturated: this "
                          r"process \(pid \d+\) used more than 10% CPU for 2 s", result.stderr)) == 1
    assert "WARNING: The load generator is saturated" in result.stdout


def test_a_master_warns_about_its_slave(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(BURNING)
    result = run_locust(["--headless", "--processes", "1", "-u", "2", "-r", "100", "-t", "6s",
                         "-H", counting_target.url, "--only-summary"], tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    # The slave's heartbeats carry its CPU; the master names it.
    assert re.search(r"saturated: slave \S+_[0-9a-f]{32} used more than 10% CPU", result.stderr)
    assert re.search(r"WARNING: The load generator is saturated: slave ", result.stdout)
    assert saturation.CPU_THRESHOLD == 90.0  # the test process's own limits are untouched
