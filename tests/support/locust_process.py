"""``python -m locust`` as a subprocess: run one to the end, or start one and watch its log."""

import csv
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

from . import child_env

__all__ = ["locust_env", "run_locust", "start_locust", "LocustProcess", "csv_total",
           "assert_one_clean_line", "wait_for_http"]


def locust_env(**extra):
    """The environment of a locust child process (the project importable, unbuffered)."""
    return child_env(**extra)


def run_locust(args, cwd, timeout=30, env=None):
    """Run ``python -m locust ARGS`` to its end; returns the CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-m", "locust"] + list(args), cwd=str(cwd),
                          env=env or locust_env(), capture_output=True, text=True, timeout=timeout)


def start_locust(args, cwd, env=None):
    """Start ``python -m locust ARGS`` in the background (pipes for both outputs)."""
    return subprocess.Popen([sys.executable, "-m", "locust"] + list(args), cwd=str(cwd),
                            env=env or locust_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


class LocustProcess:
    """A ``python -m locust`` subprocess whose output goes to files in ``cwd``."""

    def __init__(self, args, cwd, name, env=None):
        self.out_path = cwd / (name + ".out")
        self.err_path = cwd / (name + ".err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.popen = subprocess.Popen([sys.executable, "-m", "locust"] + list(args), cwd=str(cwd),
                                          stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          env=locust_env(**(env or {})))

    @property
    def log(self):
        """Everything written to stderr so far."""
        return self.err_path.read_text()

    @property
    def out(self):
        """Everything written to stdout so far."""
        return self.out_path.read_text()

    def wait_log(self, pattern, timeout=15):
        """Wait until ``pattern`` (a regular expression) appears in the log; AssertionError if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log):
                return
            if self.popen.poll() is not None and not re.search(pattern, self.log):
                raise AssertionError("exited (%s) before %r appeared in the log:\n%s"
                                     % (self.popen.returncode, pattern, self.log))
            time.sleep(0.05)
        raise AssertionError("%r not in the log:\n%s" % (pattern, self.log))

    def wait(self, timeout=30):
        """Wait for the process to end; returns its exit status."""
        return self.popen.wait(timeout=timeout)

    def kill(self):
        """SIGKILL it if it still runs."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


def wait_for_http(url, timeout=20, alive=lambda: True):
    """Wait until ``url`` answers (any status).

    AssertionError after ``timeout`` seconds, or as soon as ``alive()`` is false.
    """
    deadline = time.monotonic() + timeout
    while True:
        if not alive():
            raise AssertionError("the process serving %s exited" % url)
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("%s did not answer in %s s" % (url, timeout)) from None
            time.sleep(0.1)


def csv_total(prefix):
    """(requests, failures) of the Total row of PREFIX_requests.csv."""
    with open(str(prefix) + "_requests.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Total":
                return int(row["# requests"]), int(row["# failures"])
    raise AssertionError("no Total row")


def assert_one_clean_line(result):
    """Bad input: one line on stderr, no traceback."""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
