"""The command line with 2.x locustfiles: mix-ups are one clear line each
(never "No Locust class found!" when a class exists), the new options, and
-f with several files."""

import textwrap

import pytest

from support.locust_process import assert_one_clean_line, csv_total, run_locust

RUN = ["--headless", "-u", "1", "-r", "10", "-t", "1", "-H", "http://127.0.0.1:9"]

MIXUPS = {
    "http_user_with_task_set": ('''
        from locust import HttpUser, TaskSet, task

        class Forum(TaskSet):
            @task
            def t(self):
                pass

        class WebsiteUser(HttpUser):
            task_set = Forum
        ''', "write tasks = [Forum] instead"),
    "http_user_with_min_wait": ('''
        from locust import HttpUser, task

        class WebsiteUser(HttpUser):
            min_wait = 5000
            max_wait = 9000

            @task
            def t(self):
                pass
        ''', "wait_time = between(5, 9)"),
    "user_without_tasks": ('''
        from locust import HttpUser

        class WebsiteUser(HttpUser):
            def on_start(self):
                pass
        ''', "No tasks defined on WebsiteUser: use @task or set tasks"),
    "abstract_base_by_mistake": ('''
        from locust import User, task

        class ClientUser(User):
            def __init__(self, environment):
                super().__init__(environment)
                self.client = object()

        class MyUser(ClientUser):
            @task
            def t(self):
                pass
        ''', "No tasks defined on ClientUser"),
    "only_a_taskset": ('''
        from locust import TaskSet, task

        class Behaviour(TaskSet):
            @task
            def t(self):
                pass
        ''', "Behaviour is a TaskSet, and no user class runs it"),
    "old_class_with_tasks": ('''
        from locust import HttpLocust, task

        class WebsiteUser(HttpLocust):
            @task
            def t(self):
                pass
        ''', "inherit from HttpUser to run them"),
    "old_class_without_task_set": ('''
        from locust import HttpLocust

        class WebsiteUser(HttpLocust):
            min_wait = 1000
        ''', "WebsiteUser has no task_set"),
    "renamed_name": ('''
        from locust.exception import StopUser, StopLocust
        from locust import StopUser
        ''', "use StopUser (from locust.exception import StopUser)"),
    "unknown_name": ('''
        from locust import MarkovTaskSet
        ''', "'MarkovTaskSet' from locust: it is not part of this Locust"),
    "gevent_import": ('''
        import gevent
        from locust import HttpUser, task
        ''', "use locust.engine"),
}


@pytest.mark.parametrize("name", sorted(MIXUPS))
def test_mixups_are_one_clean_line(tmp_path, name):
    source, says = MIXUPS[name]
    (tmp_path / "lf.py").write_text(textwrap.dedent(source))
    result = run_locust(["-f", "lf.py"] + RUN, tmp_path)
    assert result.returncode == 1, result.stderr
    assert_one_clean_line(result)
    assert says in result.stderr
    assert "No Locust class found" not in result.stderr


def test_empty_locustfile_still_says_no_class(tmp_path):
    (tmp_path / "lf.py").write_text("x = 1\n")
    result = run_locust(["-f", "lf.py"] + RUN, tmp_path)
    assert result.returncode == 1 and "No Locust class found" in result.stderr
    assert_one_clean_line(result)


def test_autoquit_needs_autostart(tmp_path):
    (tmp_path / "lf.py").write_text("from locust import User\n")
    result = run_locust(["-f", "lf.py", "--autoquit", "3"], tmp_path)
    assert result.returncode == 2 and "--autostart" in result.stderr
    assert_one_clean_line(result)


def test_list_shows_both_apis_and_several_files(tmp_path):
    (tmp_path / "old.py").write_text(textwrap.dedent('''
        from locust import HttpLocust, TaskSet, task

        class Tasks(TaskSet):
            @task
            def t(self):
                pass

        class OldUser(HttpLocust):
            task_set = Tasks
    '''))
    (tmp_path / "new.py").write_text(textwrap.dedent('''
        from locust import HttpUser, task

        class Base(HttpUser):
            abstract = True

        class NewUser(Base):
            @task
            def t(self):
                pass
    '''))
    result = run_locust(["-f", "old.py,new.py", "-l"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.split() == ["Available", "Locusts:", "OldUser", "NewUser"]


def test_shape_ignores_users_and_run_time_with_a_warning(tmp_path, counting_target):
    (tmp_path / "lf.py").write_text(textwrap.dedent('''
        from locust import HttpUser, LoadTestShape, constant, task

        class Shape(LoadTestShape):
            def tick(self):
                return (1, 10) if self.get_run_time() < 1 else None

        class U(HttpUser):
            wait_time = constant(0.1)

            @task
            def t(self):
                self.client.get("/")
    '''))
    result = run_locust(["-f", "lf.py", "--headless", "-u", "50", "-t", "60", "-H",
                         counting_target.url, "--csv", "out"], tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "drives the test: -u and -t ignored" in result.stderr
    assert sum(csv_total(tmp_path / "out")) == counting_target.count > 0


def test_init_listener_failure_is_reported(tmp_path):
    (tmp_path / "lf.py").write_text(textwrap.dedent('''
        from locust import HttpUser, events, task

        @events.init.add_listener
        def broken(environment, **kw):
            raise RuntimeError("cannot set up")

        class U(HttpUser):
            @task
            def t(self):
                pass
    '''))
    result = run_locust(["-f", "lf.py"] + RUN, tmp_path)
    assert result.returncode == 1
    assert "cannot set up" in result.stderr and "an init event listener failed" in result.stderr
