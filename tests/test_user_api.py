"""Tests of the 2.x user API in one process: the request bridge between the
two APIs' events, User classes and their tasks, wait functions, tags,
SequentialTaskSet, the mix-up checks, and the runner's 2.x additions
(fixed_count, start(user_classes), --stop-timeout, --iterations, shapes).
"""

import logging
import random
import time
from types import SimpleNamespace

import pytest

from locust import (
    HttpLocust,
    HttpUser,
    LoadTestShape,
    Locust,
    SequentialTaskSet,
    TaskSet,
    User,
    between,
    constant,
    constant_pacing,
    constant_throughput,
    events,
    tag,
    task,
)
from locust.env import Environment
from locust.exception import LocustError, MissingWaitTimeError, RunnerAlreadyExistsError, StopUser
from locust.runners import STATE_STOPPED, LocalLocustRunner, LocalRunner, Runner
from locust.stats import global_stats
from locust.user import wait_time as wait_time_module
from locust.user.task import filter_tasks_by_tags
from locust.user.users import check_user_class
from support import wait_until


@pytest.fixture(autouse=True)
def clean_stats():
    global_stats.clear_all()
    yield
    global_stats.clear_all()
    global_stats.max_requests = None


@pytest.fixture
def listen():
    """Add listeners to hooks for the test's duration: listen(hook, fn)."""
    added = []

    def add(hook, fn):
        hook.add_listener(fn)
        added.append((hook, fn))
        return fn
    yield add
    for hook, fn in added:
        hook.remove_listener(fn)


def recorder(seen, label):
    def record(**kwargs):
        seen.append((label, kwargs))
    return record


# --------------------------------------------------------------- the request bridge

def test_a_07_report_reaches_request_listeners_once(listen):
    seen = []
    listen(events.request, recorder(seen, "request"))
    listen(events.request_success, recorder(seen, "success"))
    events.request_success.fire(request_type="GET", name="/a", response_time=1.5, response_length=10)
    assert [label for label, _ in seen] == ["request", "success"]
    request_kwargs = seen[0][1]
    assert request_kwargs == {"request_type": "GET", "name": "/a", "response_time": 1.5,
                              "response_length": 10, "exception": None, "response": None,
                              "context": None, "start_time": None, "url": None}
    assert seen[1][1] == {"request_type": "GET", "name": "/a", "response_time": 1.5,
                          "response_length": 10}
    assert global_stats.num_requests == 1 and global_stats.num_failures == 0


def test_a_2x_report_is_counted_like_the_07_pair(listen):
    seen = []
    listen(events.request, recorder(seen, "request"))
    listen(events.request_success, recorder(seen, "success"))
    listen(events.request_failure, recorder(seen, "failure"))
    error = ValueError("boom")
    events.request.fire(request_type="xmlrpc", name="get_time", response_time=2.0, response_length=0,
                        response=None, context={}, exception=None, start_time=time.time(), url=None)
    events.request.fire(request_type="xmlrpc", name="get_time", response_time=3.0, response_length=0,
                        response=None, context={}, exception=error)
    assert [label for label, _ in seen] == ["request", "success", "request", "failure"]
    # The 0.7 listeners get exactly the 0.7 arguments.
    assert seen[1][1] == {"request_type": "xmlrpc", "name": "get_time", "response_time": 2.0,
                          "response_length": 0}
    assert seen[3][1] == {"request_type": "xmlrpc", "name": "get_time", "response_time": 3.0,
                          "exception": error}
    assert global_stats.num_requests == 1 and global_stats.num_failures == 1


def test_no_request_listener_means_no_bridge_work(monkeypatch):
    def must_not_run(_kwargs):
        raise AssertionError("built the 2.x arguments with nobody listening")
    monkeypatch.setattr(events, "_call_request_listeners", must_not_run)
    assert not events.request._handlers
    events.request_success.fire(request_type="GET", name="/", response_time=1, response_length=1)
    events.request_failure.fire(request_type="GET", name="/", response_time=1, exception=OSError())
    assert global_stats.num_requests == 1 and global_stats.num_failures == 1


def test_a_failing_request_listener_is_logged_and_the_request_still_counted(listen, caplog):
    def broken(**_kw):
        raise KeyError("oops")
    listen(events.request, broken)
    with caplog.at_level(logging.ERROR):
        events.request_success.fire(request_type="GET", name="/", response_time=1, response_length=1)
    assert global_stats.num_requests == 1
    assert "A listener of events.request failed" in caplog.text


def test_stop_user_from_a_request_listener_propagates_after_the_stats(listen):
    def stopper(**_kw):
        raise StopUser()
    listen(events.request, stopper)
    with pytest.raises(StopUser):
        events.request.fire(request_type="GET", name="/", response_time=1, response_length=1,
                            exception=None)
    assert global_stats.num_requests == 1


def test_measure_fires_a_request():
    with events.request.measure("custom", "work") as meta:
        meta["response_length"] = 5
    with events.request.measure("custom", "work"):
        raise RuntimeError("failed work")
    entry = global_stats.get("work", "custom")
    assert entry.num_requests == 1 and entry.num_failures == 1


def test_quitting_gives_environment_only_to_listeners_that_take_it(listen):
    seen = []
    listen(events.quitting, lambda: seen.append("0.7"))
    listen(events.quitting, lambda environment, **kw: seen.append(environment))
    listen(events.quitting, lambda **kw: seen.append(sorted(kw)))
    events.quitting.fire(environment="ENV")
    assert seen == ["0.7", "ENV", ["environment"]]


def test_hook_aliases_and_add_listener_as_decorator():
    assert events.spawning_complete is events.hatch_complete
    assert events.worker_report is events.slave_report

    @events.test_start.add_listener
    def on_start(environment, **kw):
        pass
    try:
        assert on_start in events.test_start._handlers
    finally:
        events.test_start.remove_listener(on_start)


# ------------------------------------------------------------------ user classes

def t1(user):
    pass


class TestUserClasses:
    def test_tasks_declared_every_way(self):
        class Sub(TaskSet):
            @task
            def s(self):
                pass

        class MyUser(User):
            tasks = {t1: 2}

            @task(3)
            def a(self):
                pass

            @task
            class Inline(TaskSet):
                @task
                def i(self):
                    pass

        a = MyUser.__dict__["a"]
        assert MyUser.tasks == [t1, t1, a, a, a, MyUser.Inline]

        class Child(MyUser):
            tasks = [Sub]
        assert Child.tasks == MyUser.tasks + [Sub]

    def test_abstract_and_defaults(self):
        class Base(HttpUser):
            abstract = True

        class Concrete(Base):
            pass
        assert Base.abstract and not Concrete.abstract and HttpUser.abstract and User.abstract
        assert Concrete.weight == 1 and Concrete.fixed_count == 0
        assert issubclass(Concrete, Locust)

    def test_runs_user_tasks_with_the_user_as_argument(self, monkeypatch):
        monkeypatch.setattr(TaskSet, "_sleep", lambda self, seconds: None)
        seen = []

        def fn(user):
            seen.append(("fn", user))

        class MyUser(User):
            tasks = [fn]

            @task
            def method(self):
                seen.append(("method", self))
                if len(seen) >= 6:
                    raise StopUser()

            def on_start(self):
                seen.append(("start", self))

            def on_stop(self):
                seen.append(("stop", self))

        user = MyUser(Environment())
        random.seed(3)
        user.run()
        labels = [label for label, _ in seen]
        assert labels[0] == "start" and labels[-1] == "stop" and {"fn", "method"} <= set(labels)
        assert all(obj is user for _, obj in seen)

    def test_nested_taskset_sees_user_parent_and_client(self, monkeypatch):
        monkeypatch.setattr(TaskSet, "_sleep", lambda self, seconds: None)
        seen = []

        class MyUser(User):
            client = "the client"

            @task
            class Section(TaskSet):
                @task
                def look(self):
                    seen.append((self.user, self.parent, self.client, self.locust))
                    raise StopUser()

        user = MyUser(Environment())
        user.run()
        assert seen == [(user, user, "the client", user)]

    def test_no_tasks_is_one_clear_error(self):
        class Empty(User):
            pass
        with pytest.raises(LocustError, match="No tasks defined on Empty: use @task or set tasks"):
            Empty(Environment()).run()


# ------------------------------------------------------------------ waiting

class TestWaits:
    def test_wait_functions(self, monkeypatch):
        waits = [between(1, 3)(None) for _ in range(200)]
        assert min(waits) >= 1 and max(waits) <= 3 and max(waits) - min(waits) > 1
        assert constant(2.5)(None) == 2.5

        clock = [100.0]
        monkeypatch.setattr(wait_time_module.time, "monotonic", lambda: clock[0])
        owner = SimpleNamespace(_time_start=100.0)
        pacing = constant_pacing(10)
        clock[0] = 103.0           # the first task took 3 s
        assert pacing(owner) == 7.0
        clock[0] = 110.0 + 12.0    # the next one took 12 s: no wait
        assert pacing(owner) == 0.0
        clock[0] = 122.0 + 1.0
        assert pacing(owner) == 9.0
        assert constant_throughput(4)(SimpleNamespace(_time_start=clock[0])) == 0.25

    def test_which_wait_applies(self, monkeypatch):
        slept = []
        monkeypatch.setattr(TaskSet, "_sleep", lambda self, seconds: slept.append(seconds))

        class Own(TaskSet):
            wait_time = constant(7)

            @task
            def t(self):
                raise StopUser()

        class Inherits(TaskSet):
            @task
            def t(self):
                pass

        class Legacy(TaskSet):  # 0.7 milliseconds on the TaskSet win over the user's wait_time
            min_wait = max_wait = 3000

        class MyUser(User):
            wait_time = constant(0.5)

        class CountingUser(MyUser):
            calls = 0

            def wait_time(self):
                type(self).calls += 1
                return 0.25

        user = MyUser(Environment())
        assert Own(user).wait_time() == 7
        assert Inherits(user).wait_time() == 0.5
        assert Legacy(user).wait_time() == 3.0
        assert Inherits(CountingUser(Environment())).wait_time() == 0.25

        class Old(HttpLocust):
            min_wait = max_wait = 2000
            task_set = Inherits
        assert Inherits(Locust.__new__(Old)).wait_time() == 2.0

        class OldWithWaitTime(Locust):
            wait_time = constant(0.1)
            task_set = Inherits
        assert Inherits(OldWithWaitTime()).wait_time() == 0.1

        class NoWait(User):
            wait_time = None
        with pytest.raises(MissingWaitTimeError):
            Inherits(NoWait(Environment())).wait_time()


# ------------------------------------------------------------------ tags and sequences

class TestTagsAndSequences:
    def test_filter_by_tags_recursively_and_back(self):
        @tag("forum")
        class Forum(TaskSet):
            @task
            def read(self):
                pass

        class MyUser(User):
            tasks = [Forum]

            @tag("a", "b")
            @task
            def ab(self):
                pass

            @tag("c")
            @task
            def c(self):
                pass

            @task
            def plain(self):
                pass

        ab, c, plain = (MyUser.__dict__[n] for n in ("ab", "c", "plain"))
        assert filter_tasks_by_tags(MyUser, {"a"}, None)
        assert MyUser.tasks == [ab]
        filter_tasks_by_tags(MyUser, {"forum", "c"}, None)
        assert MyUser.tasks == [Forum, c]
        filter_tasks_by_tags(MyUser, None, {"b", "forum"})
        assert MyUser.tasks == [c, plain]
        filter_tasks_by_tags(MyUser, {"a"}, {"b"})       # exclusion wins
        assert MyUser.tasks == []
        filter_tasks_by_tags(MyUser, None, None)
        assert MyUser.tasks == [Forum, ab, c, plain]

    def test_sequential_order_with_tasks_and_weights(self, monkeypatch):
        monkeypatch.setattr(TaskSet, "_sleep", lambda self, seconds: None)
        order = []

        def f(ts):
            order.append("f")

        def g(ts):
            order.append("g")

        class Seq(SequentialTaskSet):
            @task
            def first(self):
                order.append("first")

            tasks = {f: 2, g: 1}

            @task(2)
            def last(self):
                order.append("last")
                if len(order) >= 12:
                    raise StopUser()

        class MyUser(User):
            tasks = [Seq]

        MyUser(Environment()).run()
        assert order == ["first", "f", "f", "g", "last", "last"] * 2


# ------------------------------------------------------------------ mix-ups

def test_mixups_are_one_line_each():
    class Forum(TaskSet):
        @task
        def t(self):
            pass

    class WithTaskSet(HttpUser):
        task_set = Forum

    class WithMillis(HttpUser):
        min_wait, max_wait = 5000, 9000

        @task
        def t(self):
            pass

    class NoTasks(HttpUser):
        pass

    class OldWithTasks(HttpLocust):
        @task
        def t(self):
            pass

    class OldWithout(Locust):
        pass

    messages = {cls.__name__: check_user_class(cls)
                for cls in (WithTaskSet, WithMillis, NoTasks, OldWithTasks, OldWithout)}
    assert "write tasks = [Forum] instead" in messages["WithTaskSet"]
    assert "wait_time = between(5, 9)" in messages["WithMillis"]
    assert messages["NoTasks"].startswith("No tasks defined on NoTasks: use @task or set tasks")
    assert "inherit from HttpUser" in messages["OldWithTasks"]
    assert "has no task_set" in messages["OldWithout"]
    assert all("\n" not in m for m in messages.values())


# ------------------------------------------------------------------ runners

def _idle_user(name, **attrs):
    attrs.setdefault("wait_time", constant(60))
    attrs.setdefault("tasks", [t1])
    return type(name, (User,), attrs)


@pytest.fixture
def runners():
    made = []
    yield made
    for runner in made:
        runner.quit()


def test_split_with_fixed_count_and_class_filter(runners):
    admin = _idle_user("Admin", fixed_count=1)
    web = _idle_user("Web", weight=3)
    mobile = _idle_user("Mobile", weight=1)
    env = Environment(user_classes=[admin, web, mobile])
    runner = env.create_local_runner()
    runners.append(runner)
    assert runner.split_users(9) == {admin: 1, web: 6, mobile: 2}
    runner._class_filter = [mobile]
    assert runner.split_users(3) == {admin: 0, web: 0, mobile: 3}
    runner.start(4, 1000, wait=True, user_classes=["Admin", "Web"])
    assert runner.user_classes_count == {"Admin": 1, "Web": 3, "Mobile": 0}
    with pytest.raises(ValueError, match="unknown user class"):
        runner.start(2, 10, user_classes=["Nope"])
    assert isinstance(runner, LocalRunner) and isinstance(runner, Runner)
    with pytest.raises(RunnerAlreadyExistsError):
        env.create_local_runner()


def test_users_get_their_environment_and_test_events_fire(runners, listen):
    fired = []
    listen(events.test_start, lambda environment, **kw: fired.append(("start", environment)))
    listen(events.test_stop, lambda environment, **kw: fired.append(("stop", environment)))
    seen = []

    class Sees(User):
        wait_time = constant(60)

        @task
        def look(self):
            seen.append(self.environment)

    class Old(Locust):
        class task_set(TaskSet):
            @task
            def look(self):
                seen.append(self.locust.environment)
        min_wait = max_wait = 60000

    env = Environment(user_classes=[Sees, Old])
    runner = env.create_local_runner()
    runners.append(runner)
    runner.start(2, 1000, wait=True)
    wait_until(lambda: len(seen) == 2)
    runner.stop()
    assert seen == [env, env]
    assert fired == [("start", env), ("stop", env)]


def test_stop_timeout_lets_tasks_finish_and_on_stop_run(runners, monkeypatch):
    log = []

    class Slow(User):
        wait_time = constant(0)

        @task
        def work(self):
            log.append("task start")
            time.sleep(0.3)
            log.append("task end")

        def on_stop(self):
            log.append("on_stop")

    class Waiting(User):
        wait_time = constant(60)

        @task
        def quick(self):
            log.append("quick")

        def on_stop(self):
            log.append("waiting on_stop")

    env = Environment(user_classes=[Slow, Waiting], stop_timeout=5)
    runner = env.create_local_runner()
    runners.append(runner)
    runner.start(2, 1000, wait=True)
    wait_until(lambda: "task start" in log and "quick" in log)
    runner.stop()
    assert runner.state == STATE_STOPPED and runner.user_count == 0
    assert log[-1] in ("on_stop", "waiting on_stop")
    assert log.count("task start") == log.count("task end")  # no task cut in the middle
    assert "on_stop" in log and "waiting on_stop" in log


def test_iterations_stop_each_user_and_end_the_test(runners):
    runs = []

    class Counted(User):
        @task
        def work(self):
            runs.append(self)

    env = Environment(user_classes=[Counted], parsed_options=SimpleNamespace(iterations=4))
    runner = env.create_local_runner()
    runners.append(runner)
    runner.start(3, 1000)
    assert runner.wait(10)
    assert len(runs) == 12 and runner.stop_reason == "all users finished"


def test_a_shape_drives_and_stops_the_test(runners):
    class Shape(LoadTestShape):
        def tick(self):
            return (2, 100) if self.get_run_time() < 1.5 else None

    env = Environment(user_classes=[_idle_user("Idle")], shape_class=Shape())
    runner = env.create_local_runner()
    runners.append(runner)
    runner.start_shape()
    assert wait_until(lambda: runner.user_count == 2, timeout=10)
    assert runner.wait(10)
    assert runner.stop_reason == "shape finished" and runner.user_count == 0


def test_runner_greenlet_join_returns_after_quit():
    env = Environment(user_classes=[_idle_user("Idle")])
    runner = env.create_local_runner()
    assert not runner.greenlet.join(0.01)
    runner.quit()
    assert runner.greenlet.join(1) and runner.greenlet.dead


def test_environment_takes_only_the_process_events():
    with pytest.raises(ValueError, match="locust.events"):
        Environment(events=object())
    assert Environment(events=events).events is events


def test_runner_created_the_07_way_gets_an_environment(runners):
    runner = LocalLocustRunner([_idle_user("Idle")], SimpleNamespace(host="http://h:1"))
    runners.append(runner)
    env = runner.environment
    assert env.runner is runner and env.host == "http://h:1" and runner.environment is env


def test_user_error_fires_beside_locust_error(runners, listen, monkeypatch):
    monkeypatch.setattr(TaskSet, "_sleep", lambda self, seconds: None)
    seen = []
    listen(events.user_error, lambda user_instance, exception, tb, **kw: seen.append(("2.x", exception)))
    listen(events.locust_error, lambda locust_instance, exception, tb: seen.append(("0.7", exception)))

    class Failing(User):
        @task
        def boom(self):
            if len(seen) >= 2:
                raise StopUser()
            raise KeyError("boom")

    Failing(Environment()).run()
    assert [label for label, _ in seen] == ["0.7", "2.x"]
    assert seen[0][1] is seen[1][1]


def test_stop_test_from_a_user_stops_the_test(runners):
    from locust.exception import StopTest

    class Stopper(User):
        wait_time = constant(0.01)

        @task
        def stop(self):
            raise StopTest("enough")

    env = Environment(user_classes=[Stopper, _idle_user("Idle")])
    runner = env.create_local_runner()
    runners.append(runner)
    runner.start(4, 1000)
    assert runner.wait(10)
    assert runner.stop_reason == "StopTest" and runner.user_count == 0
