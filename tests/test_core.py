"""Tests of the locustfile API: Locust, HttpLocust, TaskSet and @task."""

import collections
import http.server
import logging
import random
import subprocess
import sys
import threading

import pytest

from locust import HttpLocust, InterruptTaskSet, Locust, StopLocust, TaskSet, events, task
from locust.core import TaskSetMeta
from locust.engine import GreenletExit, sleep, spawn
from locust.exception import LocustError, RescheduleTask, RescheduleTaskImmediately

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

@pytest.fixture
def sleeps(monkeypatch):
    """Record every wait of every TaskSet instead of sleeping."""
    recorded = []
    monkeypatch.setattr(TaskSet, "_sleep", lambda self, seconds: recorded.append(seconds))
    return recorded


@pytest.fixture
def errors():
    """Collect locust_error events while the test runs."""
    seen = []

    def on_error(locust_instance, exception, tb):
        seen.append((locust_instance, exception, tb))

    events.locust_error += on_error
    yield seen
    events.locust_error -= on_error


def frequencies(taskset_class, n=20000, seed=1234):
    """Pick ``n`` tasks with a seeded RNG and return {task: fraction}."""
    random.seed(seed)
    ts = taskset_class(Locust())
    counts = collections.Counter(ts.get_next_task() for _ in range(n))
    return {t: c / n for t, c in counts.items()}


def stopper(n):
    """A task that raises StopLocust on its n-th call."""
    calls = []

    def stop_after(ts):
        calls.append(ts)
        if len(calls) >= n:
            raise StopLocust()
    stop_after.calls = calls
    return stop_after


def t1(ts):
    pass


def t2(ts):
    pass


def t3(ts):
    pass


# ---------------------------------------------------------------------------
# resolving tasks
# ---------------------------------------------------------------------------

class TestTaskDeclarations:
    def test_list_is_uniform(self):
        class TS(TaskSet):
            tasks = [t1, t2, t3]
        assert TS.tasks == [t1, t2, t3]
        f = frequencies(TS)
        for t in (t1, t2, t3):
            assert abs(f[t] - 1 / 3) < 0.02

    def test_dict_weights(self):
        class TS(TaskSet):
            tasks = {t1: 3, t2: 1}
        assert TS.tasks == [t1, t1, t1, t2]
        f = frequencies(TS)
        assert abs(f[t1] - 0.75) < 0.02 and abs(f[t2] - 0.25) < 0.02

    def test_pairs_and_mixed_list(self):
        class Pairs(TaskSet):
            tasks = [(t1, 2), (t2, 5)]

        class Mixed(TaskSet):
            tasks = [t1, (t2, 3)]
        assert Pairs.tasks == [t1, t1, t2, t2, t2, t2, t2]
        assert Mixed.tasks == [t1, t2, t2, t2]
        f = frequencies(Pairs)
        assert abs(f[t1] - 2 / 7) < 0.02
        f = frequencies(Mixed)
        assert abs(f[t2] - 0.75) < 0.02

    def test_decorator_with_and_without_parentheses(self):
        class TS(TaskSet):
            @task
            def bare(self):
                pass

            @task()
            def empty_parens(self):
                pass

            @task(4)
            def heavy(self):
                pass

            def not_a_task(self):
                pass
        bare, empty, heavy = (TS.__dict__[n] for n in ("bare", "empty_parens", "heavy"))
        assert bare.locust_task_weight == 1 and heavy.locust_task_weight == 4
        assert TS.tasks == [bare, empty, heavy, heavy, heavy, heavy]
        f = frequencies(TS)
        assert abs(f[heavy] - 4 / 6) < 0.02 and abs(f[bare] - 1 / 6) < 0.02
        assert TS.__dict__["not_a_task"] not in TS.tasks

    def test_tasks_attribute_comes_before_decorated_methods(self):
        class TS(TaskSet):
            @task(2)
            def m(self):
                pass
            tasks = {t1: 1}
        assert TS.tasks == [t1, TS.__dict__["m"], TS.__dict__["m"]]

    def test_nested_tasksets_in_tasks_and_inline(self):
        class Sub(TaskSet):
            tasks = [t1]

        class TS(TaskSet):
            tasks = {Sub: 3}

            @task(2)
            class Inline(TaskSet):
                @task
                def x(self):
                    pass
        inline = TS.__dict__["Inline"]
        assert inline.locust_task_weight == 2
        assert TS.tasks == [Sub, Sub, Sub, inline, inline]
        assert inline.tasks == [inline.__dict__["x"]]
        f = frequencies(TS)
        assert abs(f[Sub] - 0.6) < 0.02 and abs(f[inline] - 0.4) < 0.02

    def test_subclass_of_a_decorated_taskset_is_not_a_task_by_inheritance(self):
        class TS(TaskSet):
            @task
            class A(TaskSet):
                tasks = [t1]

            class B(A):  # not decorated itself
                pass
        assert TS.tasks == [TS.A]

    def test_inherited_tasks_come_first(self):
        class Base(TaskSet):
            tasks = [t1]

            @task(2)
            def base_task(self):
                pass

        class Child(Base):
            tasks = {t2: 1}

            @task
            def child_task(self):
                pass
        bt, ct = Base.__dict__["base_task"], Child.__dict__["child_task"]
        assert Base.tasks == [t1, bt, bt]
        assert Child.tasks == [t1, bt, bt, t2, ct]

        class NoOwnTasks(Child):
            pass
        assert NoOwnTasks.tasks == Child.tasks

    def test_multiple_bases_in_order_and_mixins(self):
        class A(TaskSet):
            tasks = [t1]

        class B(TaskSet):
            tasks = {t2: 2}

        class Mixin:
            tasks = [(t3, 2)]

        class C(A, B):
            pass

        class D(Mixin, A):
            pass
        assert C.tasks == [t1, t2, t2]
        assert D.tasks == [t3, t3, t1]

    def test_weight_zero_is_never_picked(self):
        class TS(TaskSet):
            tasks = {t1: 0, t2: 1}
        assert TS.tasks == [t2]

    @pytest.mark.parametrize("decl", [
        {t1: 1.5}, [(t1, -1)], [(t1, "2")], [(t1, True)], [(t1, 1, 2)], ["t1"], 42,
    ])
    def test_bad_declarations_raise_at_class_creation(self, decl):
        with pytest.raises(LocustError):
            class TS(TaskSet):
                tasks = decl

    def test_bad_decorator_weight_raises(self):
        with pytest.raises(LocustError, match="non-negative int"):
            class TS(TaskSet):
                @task(-2)
                def m(self):
                    pass

    def test_taskset_is_built_by_the_metaclass(self):
        assert type(TaskSet) is TaskSetMeta
        assert TaskSet.tasks == []


# ---------------------------------------------------------------------------
# the seed's examples (Python 3 syntax), verbatim otherwise
# ---------------------------------------------------------------------------

class TestSeedExamples:
    def test_quick_start_function_tasks(self):
        def login(l):
            l.client.post("/login", {"username": "ellen_key", "password": "education"})

        def index(l):
            l.client.get("/")

        def profile(l):
            l.client.get("/profile")

        class UserBehavior(TaskSet):
            tasks = {index: 2, profile: 1}

            def on_start(self):
                login(self)

        class WebsiteUser(HttpLocust):
            task_set = UserBehavior
            min_wait = 5000
            max_wait = 9000
        assert UserBehavior.tasks == [index, index, profile]
        assert WebsiteUser.weight == 10 and WebsiteUser.host is None

    def test_quick_start_decorated_tasks(self):
        class UserBehavior(TaskSet):
            def on_start(self):
                """ on_start is called when a Locust start before any task is scheduled """
                self.login()

            def login(self):
                self.client.post("/login", {"username": "ellen_key", "password": "education"})

            @task(2)
            def index(self):
                self.client.get("/")

            @task(1)
            def profile(self):
                self.client.get("/profile")

        class WebsiteUser(HttpLocust):
            task_set = UserBehavior
            min_wait = 5000
            max_wait = 9000
        d = UserBehavior.__dict__
        assert UserBehavior.tasks == [d["index"], d["index"], d["profile"]]

    def test_writing_a_locustfile_examples(self):
        class MyTaskSet(TaskSet):
            @task
            def my_task(l):
                print("executing my_task")

        class MyLocust(Locust):
            task_set = MyTaskSet
            min_wait = 5000
            max_wait = 15000
        assert MyTaskSet.tasks == [MyTaskSet.__dict__["my_task"]]

        class MyTaskSet2(TaskSet):
            min_wait = 5000
            max_wait = 15000

            @task(3)
            def task1(self):
                pass

            @task(6)
            def task2(self):
                pass
        d = MyTaskSet2.__dict__
        assert MyTaskSet2.tasks == [d["task1"]] * 3 + [d["task2"]] * 6

        def my_task(l):
            pass

        class MyTaskSet3(TaskSet):
            tasks = [my_task]
        assert MyTaskSet3.tasks == [my_task]

    def test_nested_forum_example(self):
        class ForumPage(TaskSet):
            @task(20)
            def read_thread(self):
                pass

            @task(1)
            def new_thread(self):
                pass

            @task(5)
            def stop(self):
                self.interrupt()

        class UserBehaviour(TaskSet):
            tasks = {ForumPage: 10}

            @task
            def index(self):
                pass
        assert UserBehaviour.tasks == [ForumPage] * 10 + [UserBehaviour.__dict__["index"]]
        d = ForumPage.__dict__
        assert ForumPage.tasks == [d["read_thread"]] * 20 + [d["new_thread"]] + [d["stop"]] * 5

        class MyTaskSet(TaskSet):
            @task
            class SubTaskSet(TaskSet):
                @task
                def my_task(self):
                    pass
        assert MyTaskSet.tasks == [MyTaskSet.SubTaskSet]

    def test_api_chapter_examples(self):
        class ThreadPage(TaskSet):
            tasks = [t1]

        def write_post(l):
            pass

        class ForumPage(TaskSet):
            tasks = {ThreadPage: 15, write_post: 1}
        assert ForumPage.tasks == [ThreadPage] * 15 + [write_post]
        f = frequencies(ForumPage)
        assert abs(f[ThreadPage] - 15 / 16) < 0.01

        class ForumPage2(TaskSet):
            @task(100)
            def read_thread(self):
                pass

            @task(7)
            def create_thread(self):
                pass
        assert len(ForumPage2.tasks) == 107

    def test_xmlrpc_style_locust_sets_its_own_client(self, sleeps):
        calls = []

        class FakeClient:
            def __init__(self, host):
                self.host = host

            def get_time(self):
                calls.append("get_time")
                if len(calls) == 5:
                    raise StopLocust()

        class XmlRpcLocust(Locust):
            def __init__(self, *args, **kwargs):
                super(XmlRpcLocust, self).__init__(*args, **kwargs)
                self.client = FakeClient(self.host)

        class ApiUser(XmlRpcLocust):
            host = "http://127.0.0.1:8877/"
            min_wait = 100
            max_wait = 1000

            class task_set(TaskSet):
                @task(10)
                def get_time(self):
                    self.client.get_time()

        user = ApiUser()
        assert user.client.host == "http://127.0.0.1:8877/"
        user.run()
        assert calls == ["get_time"] * 5
        assert all(0.1 <= s <= 1.0 for s in sleeps)


# ---------------------------------------------------------------------------
# running a TaskSet
# ---------------------------------------------------------------------------

class TestRun:
    def test_on_start_runs_once_before_the_first_task(self, sleeps):
        log = []

        class TS(TaskSet):
            def on_start(self):
                log.append("on_start")

            @task
            def t(self):
                log.append("task")
                if log.count("task") == 3:
                    raise StopLocust()

        class User(Locust):
            task_set = TS
        User().run()
        assert log == ["on_start", "task", "task", "task"]

    def test_nested_on_start_runs_each_time_the_taskset_is_entered(self, sleeps):
        log = []

        class Sub(TaskSet):
            def on_start(self):
                log.append("sub.on_start")

            @task
            def t(self):
                log.append("sub.task")
                self.interrupt()

        stop = stopper(1)
        order = iter([Sub, Sub, stop])

        class Root(TaskSet):
            tasks = [Sub, stop]

            def on_start(self):
                log.append("root.on_start")

            def get_next_task(self):
                return next(order)

        class User(Locust):
            task_set = Root
        User().run()
        assert log == ["root.on_start",
                       "sub.on_start", "sub.task",
                       "sub.on_start", "sub.task"]
        assert len(stop.calls) == 1

    def test_stop_locust_ends_run_quietly(self, sleeps):
        stop = stopper(4)

        class User(Locust):
            class task_set(TaskSet):
                tasks = [stop]
        assert User().run() is None
        assert len(stop.calls) == 4
        assert len(sleeps) == 3  # a wait after each task but the last

    def test_stop_locust_in_a_nested_taskset_ends_the_user(self, sleeps):
        stop = stopper(1)

        class Sub(TaskSet):
            tasks = [stop]

        class User(Locust):
            class task_set(TaskSet):
                tasks = [Sub]
        User().run()
        assert len(stop.calls) == 1

    def test_parent_and_locust_attributes(self, sleeps):
        seen = {}

        class Inner(TaskSet):
            @task
            def t(self):
                seen["inner"] = self
                raise StopLocust()

        class Middle(TaskSet):
            tasks = [Inner]

            def on_start(self):
                seen["middle"] = self

        class Root(TaskSet):
            tasks = [Middle]

            def on_start(self):
                seen["root"] = self

        class User(Locust):
            task_set = Root
        user = User()
        user.run()
        root, middle, inner = seen["root"], seen["middle"], seen["inner"]
        assert root.parent is user and root.locust is user
        assert middle.parent is root and middle.locust is user
        assert inner.parent is middle and inner.locust is user
        assert isinstance(inner, Inner) and isinstance(middle, Middle)

    def test_taskset_needs_a_locust_or_taskset_parent(self):
        with pytest.raises(LocustError, match="first argument"):
            TaskSet(object())

    def test_no_task_set_and_no_tasks_are_clear_errors(self, sleeps):
        with pytest.raises(LocustError, match="task_set"):
            Locust().run()

        class User(Locust):
            class task_set(TaskSet):
                pass
        with pytest.raises(LocustError, match="No tasks defined in task_set"):
            User().run()

    def test_tasks_only_scheduled_in_on_start_then_no_tasks_error(self, sleeps):
        ran = []

        class User(Locust):
            class task_set(TaskSet):
                def on_start(self):
                    self.schedule_task(lambda ts: ran.append(ts))
        with pytest.raises(LocustError, match="No tasks defined"):
            User().run()
        assert len(ran) == 1


class TestInterrupt:
    def _run(self, monkeypatch, reschedule):
        """Run Root -> Sub (interrupts) -> Root's next task; return the event log."""
        log = []
        monkeypatch.setattr(TaskSet, "_sleep",
                            lambda self, s: log.append("wait:" + type(self).__name__))

        class Sub(TaskSet):
            @task
            def t(self):
                log.append("sub.task")
                self.interrupt(reschedule=reschedule)

        def after(ts):
            log.append("root.after")
            raise StopLocust()

        class Root(TaskSet):
            tasks = [Sub]

        class User(Locust):
            task_set = Root

        order = iter([Sub, after])
        Root.get_next_task = lambda self: next(order)
        User().run()
        return log

    def test_interrupt_with_reschedule_picks_the_next_task_at_once(self, monkeypatch):
        assert self._run(monkeypatch, True) == ["sub.task", "root.after"]

    def test_interrupt_without_reschedule_waits_first(self, monkeypatch):
        assert self._run(monkeypatch, False) == ["sub.task", "wait:Root", "root.after"]

    def test_nested_run_turns_interrupt_into_reschedule(self, sleeps):
        class Sub(TaskSet):
            @task
            def t(self):
                raise InterruptTaskSet(reschedule=False)

        class User(Locust):
            class task_set(TaskSet):
                tasks = [t1]
        root = User.task_set(User())
        with pytest.raises(RescheduleTask):
            Sub(root).run()

        class Sub2(TaskSet):
            def on_start(self):
                self.interrupt()
            tasks = [t1]
        with pytest.raises(RescheduleTaskImmediately):
            Sub2(root).run()

    @pytest.mark.parametrize("where", ["task", "on_start"])
    def test_interrupt_in_the_root_taskset_is_an_error_naming_both(self, sleeps, where):
        class RootTasks(TaskSet):
            def on_start(self):
                if where == "on_start":
                    self.interrupt()

            @task
            def t(self):
                self.interrupt(reschedule=False)

        class MyUser(Locust):
            task_set = RootTasks
        with pytest.raises(LocustError) as info:
            MyUser().run()
        message = str(info.value)
        assert "interrupt()" in message
        assert "root TaskSet of MyUser: RootTasks" in message


class TestWait:
    def test_waits_within_locust_bounds(self, sleeps):
        stop = stopper(300)

        class User(Locust):
            min_wait = 100
            max_wait = 300

            class task_set(TaskSet):
                tasks = [stop]
        random.seed(7)
        User().run()
        assert len(sleeps) == 299
        assert all(0.1 <= s <= 0.3 for s in sleeps)
        # inclusive bounds, and actually spread out
        assert min(sleeps) == 0.1 and max(sleeps) == 0.3
        assert len(set(sleeps)) > 50

    def test_taskset_overrides_the_locust(self, sleeps):
        stop = stopper(100)

        class User(Locust):
            min_wait = 100
            max_wait = 300

            class task_set(TaskSet):
                min_wait = 2000
                max_wait = 2500
                tasks = [stop]
        user = User()
        user.run()
        assert all(2.0 <= s <= 2.5 for s in sleeps)

    def test_partial_override_and_falsy_fallback(self):
        class User(Locust):
            min_wait = 100
            max_wait = 3000

        class OnlyMin(TaskSet):
            min_wait = 2000
            tasks = [t1]

        class Zero(TaskSet):
            min_wait = 0
            max_wait = 0
            tasks = [t1]
        ts = OnlyMin(User())
        assert (ts.min_wait, ts.max_wait) == (2000, 3000)
        ts = Zero(User())
        assert (ts.min_wait, ts.max_wait) == (100, 3000)

    def test_min_greater_than_max_is_an_error(self):
        class User(Locust):
            min_wait = 5000
            max_wait = 1000

        class TS(TaskSet):
            tasks = [t1]
        with pytest.raises(LocustError, match="min_wait"):
            TS(User())

    def test_float_bounds(self):
        class User(Locust):
            min_wait = 0.5
            max_wait = 1.5

        class TS(TaskSet):
            tasks = [t1]
        ts = TS(User())
        random.seed(3)
        values = [ts.get_wait_secs() for _ in range(200)]
        assert all(0.0005 <= v <= 0.0015 for v in values)

    def test_default_wait_is_one_second(self, sleeps):
        stop = stopper(2)

        class User(Locust):
            class task_set(TaskSet):
                tasks = [stop]
        User().run()
        assert sleeps == [1.0]


class TestScheduleTask:
    def test_args_kwargs_and_first(self, sleeps):
        calls = []

        def record(ts, *args, **kwargs):
            calls.append((args, kwargs))

        class User(Locust):
            class task_set(TaskSet):
                tasks = [stopper(1)]

                def on_start(self):
                    self.schedule_task(record, args=[1, 2], kwargs={"a": 3})
                    self.schedule_task(record, args=("second",))
                    self.schedule_task(record, kwargs={"first": True}, first=True)
        User().run()
        assert calls == [((), {"first": True}), ((1, 2), {"a": 3}), (("second",), {})]

    def test_bound_methods_are_not_given_self_twice(self, sleeps):
        calls = []

        class TS(TaskSet):
            tasks = [stopper(1)]

            def on_start(self):
                self.schedule_task(self.bound, args=["x"], kwargs={"y": 1})

            def bound(self, *args, **kwargs):
                calls.append((self, args, kwargs))

        class User(Locust):
            task_set = TS
        User().run()
        assert len(calls) == 1
        assert isinstance(calls[0][0], TS) and calls[0][1:] == (("x",), {"y": 1})

    def test_nested_taskset_gets_the_arguments(self, sleeps):
        seen = []

        class Sub(TaskSet):
            def on_start(self):
                seen.append((self.args, self.kwargs))
                raise StopLocust()

        class User(Locust):
            class task_set(TaskSet):
                tasks = [t1]

                def on_start(self):
                    self.schedule_task(Sub, args=[1], kwargs={"k": "v"})
        User().run()
        assert seen == [((1,), {"k": "v"})]

    def test_execute_task_forms(self):
        seen = []

        def plain(ts, x):
            seen.append(("plain", ts, x))

        class Sub(TaskSet):
            def on_start(self):
                seen.append(("sub", self.parent, self.args))
                raise StopLocust()

        class User(Locust):
            class task_set(TaskSet):
                tasks = [t1]

                def meth(self, x):
                    seen.append(("meth", self, x))
        ts = User.task_set(User())
        ts.execute_task(plain, 1)
        ts.execute_task(ts.meth, 2)
        ts.execute_task(User.task_set.meth, 3)   # unbound function: given the TaskSet
        with pytest.raises(StopLocust):
            ts.execute_task(Sub, 4)
        assert seen == [("plain", ts, 1), ("meth", ts, 2), ("meth", ts, 3), ("sub", ts, (4,))]

    def test_queued_tasks_run_before_random_ones(self, sleeps):
        order = []

        def queued(ts):
            order.append("queued")

        def random_task(ts):
            order.append("random")
            if order.count("random") == 2:
                raise StopLocust()

        class User(Locust):
            class task_set(TaskSet):
                tasks = [random_task]

                def on_start(self):
                    self.schedule_task(queued)
                    self.schedule_task(queued)
        User().run()
        assert order == ["queued", "queued", "random", "random"]


class TestErrors:
    def test_exception_fires_locust_error_and_the_user_goes_on(self, sleeps, errors, caplog):
        calls = []

        def boom(ts):
            calls.append("boom")
            if len(calls) == 1:
                raise ValueError("first call fails")
            if len(calls) == 3:
                raise StopLocust()

        class TS(TaskSet):
            tasks = [boom]

        class User(Locust):
            task_set = TS
        with caplog.at_level(logging.ERROR, logger="locust"):
            User().run()
        assert calls == ["boom"] * 3
        assert len(errors) == 1
        instance, exc, tb = errors[0]
        assert isinstance(instance, TS)
        assert isinstance(exc, ValueError) and str(exc) == "first call fails"
        assert tb is not None and tb.tb_frame is not None
        # the traceback reaches down into the failing task
        frames = []
        while tb is not None:
            frames.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
        assert frames[-1] == "boom"
        records = [r for r in caplog.records if "first call fails" in r.getMessage()]
        assert len(records) == 1 and records[0].exc_info is not None
        # a wait after the failing task, like after any other task
        assert len(sleeps) == 2

    def test_exception_in_a_nested_taskset_fires_once_with_that_taskset(self, sleeps, errors):
        def fail(ts):
            raise KeyError("nested")

        class Sub(TaskSet):
            tasks = [fail]

        calls = []

        def count(ts):
            calls.append(1)
            if len(calls) == 2:
                raise StopLocust()
        order = iter([fail, count, count])

        class Root(TaskSet):
            tasks = [Sub]

        Sub.get_next_task = lambda self: next(order)

        class User(Locust):
            task_set = Root
        User().run()
        assert len(errors) == 1 and isinstance(errors[0][0], Sub)
        assert isinstance(errors[0][1], KeyError)

    def test_catch_exceptions_false_raises_after_firing(self, sleeps, errors):
        def fail(ts):
            raise RuntimeError("no catch")

        class User(Locust):
            _catch_exceptions = False

            class task_set(TaskSet):
                tasks = [fail]
        with pytest.raises(RuntimeError, match="no catch"):
            User().run()
        assert len(errors) == 1

    def test_plain_locust_client_error(self, sleeps, errors):
        user = Locust()
        with pytest.raises(LocustError, match="No client instantiated. Did you intend to "
                                              "inherit from HttpLocust?"):
            user.client.get("/")

        def uses_client(ts):
            ts.client.get("/")

        class User(Locust):
            class task_set(TaskSet):
                tasks = [uses_client, stopper(2)]
        order = iter([uses_client, User.task_set.tasks[1], User.task_set.tasks[1]])
        User.task_set.get_next_task = lambda self: next(order)
        User().run()
        assert len(errors) == 1
        assert "No client instantiated" in str(errors[0][1])

    def test_taskset_client_is_the_locust_client(self):
        class User(Locust):
            def __init__(self):
                super().__init__()
                self.client = object()

        class TS(TaskSet):
            tasks = [t1]
        user = User()
        assert TS(TS(user)).client is user.client


class TestStopTimeout:
    def test_user_stops_after_stop_timeout(self):
        now = [0.0]

        class Clocked(TaskSet):
            _clock = staticmethod(lambda: now[0])

            def _sleep(self, seconds):
                now[0] += seconds

        calls = []

        class Sub(Clocked):
            @task
            def t(self):
                calls.append(now[0])

        class User(Locust):
            stop_timeout = 10
            min_wait = max_wait = 3000

            class task_set(Clocked):
                tasks = [Sub]

                def on_start(self):
                    self.schedule_task(t1)   # Sub is entered after one wait
        User().run()
        # the nested TaskSet measures from the user's start; waits are cut at 10 s
        assert calls == [3.0, 6.0, 9.0]
        assert now[0] == 10.0


# ---------------------------------------------------------------------------
# HttpLocust
# ---------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffered, so headers and body leave in one segment: unbuffered, Nagle
    # and delayed ACKs cost ~40 ms per request.
    wbufsize = -1

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.paths.append((self.command, self.path))
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class TestHttpLocust:
    def test_without_host_raises(self):
        class User(HttpLocust):
            task_set = TaskSet
        with pytest.raises(LocustError, match="You must specify the base host"):
            User()
        assert HttpLocust.client is None

    def test_client_is_an_http_session_on_host(self, http_server):
        from locust.clients import HttpSession

        class User(HttpLocust):
            host = "http://127.0.0.1:%d" % http_server.server_port
        user = User()
        assert isinstance(user.client, HttpSession)
        assert User().client is not user.client   # one session per user
        response = user.client.get("/hello")
        assert response.status_code == 200
        assert http_server.paths == [("GET", "/hello")]

    def test_quick_start_example_runs_against_a_server(self, http_server):
        def login(l):
            l.client.post("/login", {"username": "ellen_key", "password": "education"})

        def index(l):
            l.client.get("/")

        def profile(l):
            l.client.get("/profile")

        class UserBehavior(TaskSet):
            tasks = {index: 2, profile: 1}

            def on_start(self):
                login(self)

        class WebsiteUser(HttpLocust):
            task_set = UserBehavior
            min_wait = 0
            max_wait = 0
            host = "http://127.0.0.1:%d" % http_server.server_port

        glet = spawn(WebsiteUser().run)
        for _ in range(1000):                   # at most ~10 s
            if len(http_server.paths) >= 21 or glet.dead:
                break
            sleep(0.01)
        glet.kill()
        assert len(http_server.paths) >= 21, glet.exception
        paths = http_server.paths
        assert paths[0] == ("POST", "/login")
        rest = [p for _, p in paths[1:]]
        assert set(rest) == {"/", "/profile"}
        assert ("POST", "/login") not in paths[1:]


# ---------------------------------------------------------------------------
# users on the engine
# ---------------------------------------------------------------------------

class TestOnEngine:
    def test_users_run_cooperatively_and_are_killed(self):
        counts = collections.Counter()

        def count(ts):
            counts[ts.locust] += 1

        class User(Locust):
            min_wait = 0
            max_wait = 0

            class task_set(TaskSet):
                tasks = [count]
        users = [User(), User()]
        glets = [spawn(u.run) for u in users]
        for _ in range(5000):
            if min(counts[u] for u in users) >= 50:
                break
            sleep(0.001)
        for g in glets:
            g.kill()
        assert all(g.dead and isinstance(g.exception, GreenletExit) for g in glets)
        frozen = dict(counts)
        sleep(0.01)
        assert dict(counts) == frozen           # killed users run no more tasks
        # a zero wait yields: neither user starved the other
        assert all(counts[u] >= 50 for u in users)

    def test_real_waits_respect_min_wait(self):
        times = []
        from locust.engine import get_hub
        clock = get_hub().clock

        def record(ts):
            times.append(clock())
            if len(times) == 4:
                raise StopLocust()

        class User(Locust):
            min_wait = 20
            max_wait = 30

            class task_set(TaskSet):
                tasks = [record]
        glet = spawn(User().run)
        glet.join(5)
        assert glet.dead and glet.successful()
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert len(gaps) == 3 and all(g >= 0.019 for g in gaps)


# ---------------------------------------------------------------------------
# the package
# ---------------------------------------------------------------------------

def test_package_exports_and_lazy_web():
    code = (
        "import sys, locust\n"
        "assert 'bottle' not in sys.modules and 'locust.web' not in sys.modules\n"
        "assert 'urllib3' not in sys.modules\n"
        "from locust import *\n"
        "assert 'bottle' not in sys.modules\n"
        "for name in ('Locust', 'HttpLocust', 'TaskSet', 'task', 'events',\n"
        "             'InterruptTaskSet', 'StopLocust', 'ResponseError'):\n"
        "    assert name in locust.__all__ and getattr(locust, name) is not None\n"
        "assert locust.__version__ == '0.8.0.dev0'\n"
        "assert 'web' in dir(locust)\n"
        "try:\n"
        "    locust.nonexistent\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_web_is_imported_on_demand():
    code = (
        "import importlib.util, sys, locust\n"
        "if importlib.util.find_spec('locust.web') is None:\n"
        "    # not written yet: the lazy hook must still try to import it\n"
        "    try:\n"
        "        locust.web\n"
        "    except ModuleNotFoundError as exc:\n"
        "        assert exc.name == 'locust.web', exc.name\n"
        "        print('absent'); raise SystemExit(0)\n"
        "    raise SystemExit('no import attempted')\n"
        "web = locust.web\n"
        "assert web is sys.modules['locust.web']\n"
        "from locust import web as again\n"
        "assert again is web\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in ("ok", "absent")
