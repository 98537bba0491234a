"""The 2.x API in real processes: a script that uses Locust as a library
(Environment, local runner, web UI, stats loops), and a distributed run
(one master, two slave processes) of a 0.7 locustfile and a 2.x locustfile
together, with exact totals."""

import json
import subprocess
import sys
import textwrap

from support import free_port_pair
from support.locust_process import LocustProcess, csv_total, locust_env

LIBRARY_SCRIPT = '''
import json
import sys
import urllib.request

from locust.engine import monkey
monkey.patch_all()  # urllib below: the dashboard is read from this process

from locust import HttpUser, constant, events, task
from locust.engine import sleep, spawn, spawn_later
from locust.env import Environment
from locust.stats import stats_history, stats_printer


class MyUser(HttpUser):
    host = sys.argv[1]
    wait_time = constant(0.05)

    @task
    def t(self):
        self.client.get("/")


env = Environment(user_classes=[MyUser], events=events)
runner = env.create_local_runner()
web_ui = env.create_web_ui("127.0.0.1", 0)
env.events.init.fire(environment=env, runner=runner, web_ui=web_ui)
spawn(stats_printer(env.stats))
spawn(stats_history, env.runner)
seen = {}


def read_dashboard():
    sleep(1.5)
    url = "http://127.0.0.1:%d/stats/requests" % web_ui.server.server_port
    with urllib.request.urlopen(url, timeout=5) as response:
        seen["dashboard"] = json.load(response)


spawn(read_dashboard)
runner.start(3, spawn_rate=10)
spawn_later(3, runner.quit)
runner.greenlet.join()
web_ui.stop()
total = env.stats.total
print(json.dumps({"num_requests": total.num_requests, "num_failures": total.num_failures,
                  "fail_ratio": total.fail_ratio, "history": len(env.stats.history),
                  "dashboard_state": seen["dashboard"]["state"],
                  "dashboard_users": seen["dashboard"]["user_count"], "state": runner.state}))
'''


def test_library_mode(tmp_path, counting_target):
    script = tmp_path / "use_as_lib.py"
    script.write_text(LIBRARY_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), counting_target.url], capture_output=True,
                          text=True, timeout=60, env=locust_env())
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["num_requests"] + result["num_failures"] == counting_target.count > 0
    assert result["fail_ratio"] == 0 and result["state"] == "stopped"
    assert result["dashboard_state"] in ("hatching", "running") and result["dashboard_users"] == 3
    assert result["history"] >= 1
    assert "Total" in proc.stdout  # stats_printer's table


OLD = '''
from locust import HttpLocust, TaskSet, events, task

class Browse(TaskSet):
    @task
    def index(self):
        self.client.get("/old")

class OldUser(HttpLocust):
    task_set = Browse
    min_wait = 20
    max_wait = 40
    weight = 1
'''

NEW = '''
from locust import HttpUser, between, events, task

class NewUser(HttpUser):
    wait_time = between(0.02, 0.04)

    @task
    def index(self):
        self.client.get("/new")

@events.init.add_listener
def on_init(environment, runner, **kw):
    print("init on", type(runner).__name__, flush=True)
'''


def test_a_07_and_a_2x_locustfile_in_one_distributed_run(tmp_path, counting_target):
    (tmp_path / "old.py").write_text(textwrap.dedent(OLD))
    (tmp_path / "new.py").write_text(textwrap.dedent(NEW))
    port = free_port_pair()
    files = ["-f", "old.py,new.py"]
    master = LocustProcess(files + ["--master", "--headless", "-u", "6", "-r", "100", "-t", "3s",
                                    "--expect-slaves", "2", "--master-bind-host", "127.0.0.1",
                                    "--master-bind-port", str(port), "-H", counting_target.url,
                                    "--csv", str(tmp_path / "out"), "--heartbeat-interval", "0.2"],
                           tmp_path, "master")
    slaves = [LocustProcess(files + ["--slave", "--master-port", str(port),
                                     "--heartbeat-interval", "0.2"], tmp_path, "slave%d" % i)
              for i in range(2)]
    try:
        assert master.wait(60) == 0, master.log
        for slave in slaves:
            assert slave.wait(30) == 0, slave.log
    finally:
        for proc in [master] + slaves:
            proc.kill()
    requests, failures = csv_total(tmp_path / "out")
    assert failures == 0
    assert requests == counting_target.count
    assert counting_target.counts.get("/old", 0) > 0 and counting_target.counts.get("/new", 0) > 0
    assert "init on MasterLocustRunner" in master.out
    assert all("init on SlaveLocustRunner" in slave.out for slave in slaves)


SHAPED = '''
from locust import HttpUser, LoadTestShape, constant, task

class Steps(LoadTestShape):
    def tick(self):
        run_time = self.get_run_time()
        if run_time < 1.5:
            return (2, 20)
        if run_time < 3:
            return (5, 20)
        return None

class U(HttpUser):
    wait_time = constant(0.05)

    @task
    def t(self):
        self.client.get("/")
'''


def test_a_shape_on_the_master_drives_its_slaves(tmp_path, counting_target):
    (tmp_path / "shaped.py").write_text(textwrap.dedent(SHAPED))
    port = free_port_pair()
    master = LocustProcess(["-f", "shaped.py", "--master", "--headless", "--expect-slaves", "2",
                            "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                            "-H", counting_target.url, "--csv", str(tmp_path / "out"),
                            "--heartbeat-interval", "0.2"], tmp_path, "master")
    slaves = [LocustProcess(["-f", "shaped.py", "--slave", "--master-port", str(port),
                             "--heartbeat-interval", "0.2"], tmp_path, "slave%d" % i)
              for i in range(2)]
    try:
        assert master.wait(60) == 0, master.log
        for slave in slaves:
            assert slave.wait(30) == 0, slave.log
    finally:
        for proc in [master] + slaves:
            proc.kill()
    assert "Shape test updating to 5 users" in master.log and "Shape test stopping" in master.log
    assert "Sent hatch jobs to 2 slaves: 3/2 users" in master.log
    assert sum(csv_total(tmp_path / "out")) == counting_target.count > 0
