"""Tests of the command line (locust/main.py): options, locustfile search, bad
input, headless runs, CSV files, signals.

The command runs as ``python -m locust`` in a subprocess (it installs
signal handlers and monkey patches the process), against a stdlib HTTP
server in a thread that counts the requests it receives.
"""

import json
import signal
import subprocess
import textwrap
import time

import pytest

from locust import __version__, runners
from locust.main import (
    CommandLineError,
    find_locustfile,
    parse_options,
    select_runner_class,
)
from support.locust_process import assert_one_clean_line, csv_total, run_locust, start_locust

FAST_LOCUSTFILE = '''
from locust import HttpLocust, Locust, TaskSet, task

class Browse(TaskSet):
    @task(3)
    def index(self):
        self.client.get("/")

    @task(1)
    def page(self):
        self.client.get("/page")

class WebUser(HttpLocust):
    task_set = Browse
    min_wait = 0
    max_wait = 100
    weight = 3

class Idle(TaskSet):
    @task
    def rest(self):
        pass

class Other(Locust):
    task_set = Idle
    min_wait = 0
    max_wait = 100
    weight = 1

class _Hidden(Locust):
    task_set = Idle

class NoTasks(Locust):
    pass
'''


@pytest.fixture
def locustfile(tmp_path):
    path = tmp_path / "locustfile.py"
    path.write_text(FAST_LOCUSTFILE)
    return path


# ------------------------------------------------------------- in process

class TestParseOptions:
    def test_defaults(self):
        _parser, opts, names = parse_options([])
        assert names == []
        assert opts.locustfile == "locustfile"
        assert opts.host is None and opts.web_host == "" and opts.web_port == 8089
        assert opts.num_clients is None and opts.hatch_rate == 1.0
        assert opts.num_requests is None and opts.run_time is None
        assert not opts.no_web and not opts.reset_stats and opts.csv_prefix is None
        assert opts.master_host == "127.0.0.1" and opts.master_port == 5557
        assert opts.master_bind_host == "*" and opts.master_bind_port == 5557
        assert opts.loglevel == "INFO"

    def test_original_flags(self):
        _p, opts, names = parse_options([
            "-H", "http://x", "--web-host", "1.2.3.4", "-P", "9000", "-f", "lf.py",
            "--master-host", "h", "--master-port", "6000", "--master-bind-host", "b",
            "--master-bind-port", "7000", "--no-web", "-c", "5", "-r", "2.5", "-n", "100",
            "-L", "debug", "--logfile", "x.log", "--print-stats", "--only-summary",
            "A", "B"])
        assert names == ["A", "B"]
        assert (opts.host, opts.web_host, opts.web_port, opts.port) == ("http://x", "1.2.3.4", 9000, 9000)
        assert (opts.master_host, opts.master_port) == ("h", 6000)
        assert (opts.master_bind_host, opts.master_bind_port) == ("b", 7000)
        assert opts.no_web and opts.num_clients == 5 and opts.hatch_rate == 2.5
        assert opts.num_requests == 100 and opts.loglevel == "DEBUG"
        assert opts.logfile == "x.log" and opts.print_stats and opts.only_summary

    def test_modern_synonyms(self):
        _p, opts, _n = parse_options(["-u", "7", "--spawn-rate", "3", "--headless", "--worker",
                                      "--web-port", "1234", "-t", "1h30m", "--reset-stats",
                                      "--csv", "out"])
        assert opts.num_clients == 7 and opts.hatch_rate == 3.0 and opts.no_web
        assert opts.slave and opts.web_port == 1234
        assert opts.run_time == 5400 and opts.reset_stats and opts.csv_prefix == "out"
        _p, opts, _n = parse_options(["--users", "4", "--clients", "6", "--run-time", "45"])
        assert opts.num_clients == 6 and opts.run_time == 45


def test_runner_selection_is_one_place():
    _p, opts, _n = parse_options([])
    assert select_runner_class(opts) is runners.LocalLocustRunner
    _p, opts, _n = parse_options(["--master", "--slave"])
    with pytest.raises(CommandLineError) as info:
        select_runner_class(opts)
    assert info.value.exit_code == 2
    for flag, name in (("--master", "MasterLocustRunner"), ("--slave", "SlaveLocustRunner")):
        _p, opts, _n = parse_options([flag])
        if hasattr(runners, name):
            assert select_runner_class(opts) is getattr(runners, name)
        else:
            with pytest.raises(CommandLineError) as info:
                select_runner_class(opts)
            assert info.value.exit_code == 2 and "not implemented" in str(info.value)


class TestFindLocustfile:
    def test_adds_py_and_walks_up(self, tmp_path, monkeypatch):
        (tmp_path / "mytest.py").write_text("")
        deep = tmp_path / "a" / "b"
        deep.mkdir(parents=True)
        monkeypatch.chdir(deep)
        assert find_locustfile("mytest") == str(tmp_path / "mytest.py")
        assert find_locustfile("mytest.py") == str(tmp_path / "mytest.py")
        assert find_locustfile("nothere") is None

    def test_name_with_directory_is_checked_directly(self, tmp_path, monkeypatch):
        sub = tmp_path / "sub"
        sub.mkdir()
        (sub / "lf.py").write_text("")
        (tmp_path / "lf.py").write_text("")
        monkeypatch.chdir(tmp_path)
        assert find_locustfile("sub/lf") == str(sub / "lf.py")
        assert find_locustfile(str(sub / "lf.py")) == str(sub / "lf.py")
        # Not searched upwards when a directory is given.
        monkeypatch.chdir(sub)
        assert find_locustfile("other/lf.py") is None

    def test_only_python_files_count(self, tmp_path, monkeypatch):
        (tmp_path / "locustfile").write_text("")  # no .py: not a locustfile
        monkeypatch.chdir(tmp_path)
        assert find_locustfile("locustfile") is None
        (tmp_path / "locustfile.py").write_text("")
        assert find_locustfile("locustfile") == str(tmp_path / "locustfile.py")


# ---------------------------------------------------------- simple commands

def test_version(tmp_path):
    result = run_locust(["-V"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "Locust %s" % __version__


def test_list(locustfile, tmp_path):
    result = run_locust(["-l"], tmp_path)  # finds ./locustfile.py by default
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Available Locusts:", "    WebUser", "    Other"]


def test_list_and_no_class(tmp_path):
    (tmp_path / "empty.py").write_text("from locust import Locust, HttpLocust\nx = 1\n")
    result = run_locust(["-f", "empty.py", "-l"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["Available Locusts:"]
    result = run_locust(["-f", "empty.py"], tmp_path)
    assert result.returncode == 1
    assert "No Locust class found!" in result.stderr
    assert_one_clean_line(result)


def test_show_task_ratio_json(locustfile, tmp_path):
    result = run_locust(["--show-task-ratio-json"], tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["per_class"] == {
        "WebUser": {"ratio": 0.75, "tasks": {"index": {"ratio": 0.75}, "page": {"ratio": 0.25}}},
        "Other": {"ratio": 0.25, "tasks": {"rest": {"ratio": 1.0}}},
    }
    total = data["total"]
    assert total["WebUser"]["tasks"]["index"]["ratio"] == pytest.approx(0.5625)
    assert total["WebUser"]["tasks"]["page"]["ratio"] == pytest.approx(0.1875)
    assert total["Other"]["tasks"]["rest"]["ratio"] == pytest.approx(0.25)


def test_show_task_ratio_of_selected_class(locustfile, tmp_path):
    result = run_locust(["--show-task-ratio", "WebUser"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Task ratio per locust class" in out and "Total task ratio" in out
    assert "75.0" in out and "25.0" in out and "Other" not in out


# --------------------------------------------------------------- bad input

def test_missing_locustfile(tmp_path):
    result = run_locust(["-f", "nope.py"], tmp_path)
    assert result.returncode == 1
    assert "Could not find any locustfile! Looked for nope.py in %s" % tmp_path in result.stderr
    assert_one_clean_line(result)
    result = run_locust(["-f", "sub/nope"], tmp_path)
    assert result.returncode == 1
    assert "Looked for %s or %s." % (tmp_path / "sub" / "nope.py", tmp_path / "sub" / "nope") \
        in result.stderr


def test_locustfile_that_fails_to_import_shows_its_traceback(tmp_path):
    (tmp_path / "broken.py").write_text(textwrap.dedent('''
        import os

        def helper():
            raise RuntimeError("broken on purpose")

        helper()
    '''))
    result = run_locust(["-f", "broken.py"], tmp_path)
    assert result.returncode == 1
    err = result.stderr
    assert "Traceback" in err and "RuntimeError: broken on purpose" in err
    assert str(tmp_path / "broken.py") in err and 'raise RuntimeError("broken on purpose")' in err
    # Only the locustfile's frames: none of ours, none of importlib's.
    assert "main.py" not in err and "importlib" not in err


def test_locustfile_with_syntax_error(tmp_path):
    (tmp_path / "syntax.py").write_text("def broken(:\n    pass\n")
    result = run_locust(["-f", "syntax.py"], tmp_path)
    assert result.returncode == 1
    assert "SyntaxError" in result.stderr and "main.py" not in result.stderr


USAGE_ERRORS = [
    (["-t", "5x"], "run-time"),
    (["-t", "0"], "run-time"),
    (["-c", "-1"], "clients"),
    (["-c", "abc"], "clients"),
    (["-r", "0"], "hatch-rate"),
    (["-n", "0"], "num-request"),
    (["-L", "loud"], "loglevel"),
    (["-P", "99999"], "port"),
    (["--csv", "no/such/dir/x"], "csv"),
    (["--bogus"], "unrecognized"),
]


def test_usage_errors_exit_2_with_one_line(locustfile, tmp_path):
    # Started all at once: ten interpreters one after the other cost seconds.
    procs = [(args, needle, start_locust(args + ["--no-web"], tmp_path))
             for args, needle in USAGE_ERRORS]
    for args, needle, proc in procs:
        out, err = proc.communicate(timeout=30)
        result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        assert result.returncode == 2, (args, err)
        assert needle in err, (args, err)
        assert_one_clean_line(result)


def test_unknown_locust_classes(locustfile, tmp_path):
    result = run_locust(["Nope", "WebUser", "Missing"], tmp_path)
    assert result.returncode == 1
    assert "Unknown Locust(s): Nope, Missing" in result.stderr
    assert_one_clean_line(result)


def test_http_locust_without_host(locustfile, tmp_path):
    result = run_locust(["--no-web", "-c", "3", "-t", "1s", "WebUser"], tmp_path)
    assert result.returncode == 1
    assert "host" in result.stderr and "WebUser" in result.stderr
    assert_one_clean_line(result)


@pytest.mark.parametrize("host", ["notaurl", "ftp://127.0.0.1/", "http://"])
def test_http_locust_with_a_host_that_is_not_an_http_url(locustfile, tmp_path, host):
    # Each user would otherwise die on its first request, with a traceback.
    result = run_locust(["--no-web", "-c", "1", "-t", "1s", "-H", host, "WebUser"], tmp_path)
    assert result.returncode == 2
    assert "WebUser needs an http:// or https:// host" in result.stderr
    assert_one_clean_line(result)


def test_a_host_port_out_of_range_is_refused_before_the_run(tmp_path, counting_target):
    (tmp_path / "ported.py").write_text(textwrap.dedent('''
        from locust import HttpLocust, TaskSet, task

        class T(TaskSet):
            @task
            def t(self):
                self.client.get("/")

        class U(HttpLocust):
            task_set = T
            host = "http://127.0.0.1:70000"
    '''))
    args = ["-f", "ported.py", "--no-web", "-c", "1", "-t", "1s"]
    result = run_locust(args + ["-H", "http://127.0.0.1:99999"], tmp_path)
    assert result.returncode == 2
    assert "argument -H/--host: the port 99999 of 'http://127.0.0.1:99999' is out of range" \
        in result.stderr
    assert_one_clean_line(result)
    result = run_locust(args, tmp_path)
    assert result.returncode == 1
    assert "U has a host whose port is out of range (0-65535): 'http://127.0.0.1:70000' " \
        "(from its host attribute)" in result.stderr
    assert_one_clean_line(result)
    assert counting_target.count == 0


def test_web_port_in_use(locustfile, tmp_path, counting_target):
    port = counting_target.server_address[1]  # taken by the counting target
    result = run_locust(["--web-host", "127.0.0.1", "-P", str(port), "-H", counting_target.url],
                        tmp_path)
    assert result.returncode == 1
    assert "could not start the web interface" in result.stderr
    assert "Traceback" not in result.stderr


def test_classes_that_all_weigh_nothing(tmp_path):
    (tmp_path / "zero.py").write_text(textwrap.dedent('''
        from locust import Locust, TaskSet, task

        class T(TaskSet):
            @task
            def t(self):
                pass

        class U(Locust):
            task_set = T
            weight = 0
    '''))
    result = run_locust(["-f", "zero.py", "--no-web", "-c", "2", "-t", "1s"], tmp_path)
    assert result.returncode == 1
    assert "weights that are all zero" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_logfile(locustfile, tmp_path):
    result = run_locust(["--logfile", str(tmp_path / "no" / "such.log"), "-l"], tmp_path)
    assert result.returncode == 1
    assert "log file" in result.stderr
    assert_one_clean_line(result)


# ------------------------------------------------------------ headless runs

def test_headless_run_time_summary_and_csv(locustfile, tmp_path, counting_target):
    prefix = tmp_path / "out"
    # 4 s: the periodic table comes every 2 s, so at least one is printed
    # whatever the machine's load (with -t 2s it raced the time limit).
    result = run_locust(["--no-web", "-c", "5", "-r", "100", "-t", "4s", "-H", counting_target.url,
                         "--csv", str(prefix), "WebUser"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "Percentage of the requests completed within given times" in out
    assert out.count(" Total ") >= 3  # a periodic table, then the summary and percentiles
    assert "Time limit reached" in result.stderr
    requests, failures = csv_total(prefix)
    assert failures == 0 and requests > 5
    assert requests == counting_target.count  # nothing lost, nothing counted twice

    with open(str(prefix) + "_requests.csv") as f:
        assert f.readline().strip() == (
            '"Method","Name","# requests","# failures","Median response time",'
            '"Average response time","Min response time","Max response time",'
            '"Average Content Size","Requests/s"')
    with open(str(prefix) + "_distribution.csv") as f:
        assert f.readline().strip() == (
            '"Name","# requests","50%","66%","75%","80%","90%","95%","98%","99%","100%"')
    with open(str(prefix) + "_failures.csv") as f:
        assert f.readline().strip() == '"Method","Name","Error","Occurrences"'
    with open(str(prefix) + "_exceptions.csv") as f:
        assert f.readline().strip() == "Count,Message,Traceback,Nodes"


def test_request_cap_stops_the_run(locustfile, tmp_path, counting_target):
    prefix = tmp_path / "cap"
    started = time.monotonic()
    result = run_locust(["--no-web", "-c", "4", "-r", "100", "-n", "25", "-t", "20s",
                         "-H", counting_target.url, "--only-summary", "--csv", str(prefix),
                         "WebUser"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 15
    assert "Maximum number of requests reached" in result.stderr
    # --only-summary: no periodic table, only the summary's (and percentiles).
    assert result.stdout.count("# fails") == 1
    requests, failures = csv_total(prefix)
    assert 25 <= requests + failures <= 25 + 4
    assert requests + failures == counting_target.count


def test_failures_give_exit_code_1_and_an_error_report(tmp_path, counting_target):
    (tmp_path / "fail.py").write_text(textwrap.dedent('''
        from locust import HttpLocust, TaskSet, task

        class T(TaskSet):
            @task
            def fail(self):
                self.client.get("/fail")

        class U(HttpLocust):
            task_set = T
            min_wait = 0
            max_wait = 50
    '''))
    result = run_locust(["-f", "fail.py", "--no-web", "-c", "2", "-r", "100", "-n", "10",
                         "-H", counting_target.url, "--only-summary"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Error report" in result.stdout and "/fail" in result.stdout


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_headless_run_with_summary(locustfile, tmp_path, counting_target, signum):
    prefix = tmp_path / "sig"
    proc = start_locust(["--no-web", "-c", "3", "-r", "100", "-H", counting_target.url,
                         "--csv", str(prefix), "WebUser"], tmp_path)
    try:
        deadline = time.monotonic() + 10
        while counting_target.count < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Percentage of the requests completed within given times" in out
    requests, failures = csv_total(prefix)
    assert requests + failures == counting_target.count >= 10


def test_monkey_patch_before_import_and_sys_path(tmp_path, counting_target):
    (tmp_path / "helpers.py").write_text("GREETING = 'hi from a neighbour module'\n")
    (tmp_path / "patched.py").write_text(textwrap.dedent('''
        import socket, time
        from locust.engine import monkey
        import helpers  # the locustfile's folder is on sys.path
        print("patched=%s socket=%s" % (monkey.is_patched(), socket.socket.__module__))
        print(helpers.GREETING)

        from locust import Locust, TaskSet, task

        class T(TaskSet):
            @task
            def nap(self):
                time.sleep(0.01)  # cooperative once patched

        class U(Locust):
            task_set = T
    '''))
    result = run_locust(["-f", "patched.py", "-l"], tmp_path / ".")
    assert result.returncode == 0, result.stderr
    assert "patched=True socket=locust.engine.net" in result.stdout
    assert "hi from a neighbour module" in result.stdout


def test_logfile_and_format(locustfile, tmp_path, counting_target):
    log = tmp_path / "run.log"
    result = run_locust(["--no-web", "-c", "1", "-r", "100", "-n", "3", "--only-summary",
                         "-H", counting_target.url, "--logfile", str(log), "-L", "DEBUG",
                         "WebUser"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the log went to the file
    text = log.read_text()
    assert "/INFO/locust.runners: Hatching and swarming 1 users" in text
    assert text.startswith("[")


def test_web_ui_mode(locustfile, tmp_path, counting_target):
    import urllib.request
    proc = start_locust(["-H", counting_target.url, "--web-host", "127.0.0.1", "-P", "0",
                         "-c", "3", "-r", "50", "WebUser"], tmp_path)
    try:
        port = None
        deadline = time.monotonic() + 10
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if "Starting web monitor at" in line:
                port = int(line.rsplit(":", 1)[1])
        assert port, "the web UI did not start"
        base = "http://127.0.0.1:%d" % port
        with urllib.request.urlopen(base + "/", timeout=5) as response:
            assert response.status == 200
        data = b"locust_count=3&hatch_rate=50"
        with urllib.request.urlopen(base + "/swarm", data=data, timeout=5) as response:
            assert json.load(response)["success"] is True
        deadline = time.monotonic() + 10
        while counting_target.count < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        with urllib.request.urlopen(base + "/stats/requests", timeout=5) as response:
            stats = json.load(response)
        assert stats["user_count"] == 3
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Percentage of the requests completed within given times" in out
