"""Tests of the task ratio report (--show-task-ratio and --show-task-ratio-json)."""

import io
import json

import pytest

from locust import Locust, TaskSet, task
from locust.inspectlocust import format_task_ratio, get_task_ratio_dict, print_task_ratio


def a(ts):
    pass


def b(ts):
    pass


def c(ts):
    pass


def d(ts):
    pass


class Sub(TaskSet):
    tasks = {a: 1, b: 3}


class Root(TaskSet):
    tasks = {Sub: 2, c: 2}


class WebUser(Locust):
    weight = 3
    task_set = Root


class Other(TaskSet):
    tasks = [d]


class MobileUser(Locust):
    weight = 1
    task_set = Other


# Computed by hand: WebUser 3/4, MobileUser 1/4; in Root, Sub and c 2/4 each;
# in Sub, a 1/4 and b 3/4.
PER_CLASS = {
    "WebUser": {"ratio": 0.75, "tasks": {
        "Sub": {"ratio": 0.5, "tasks": {"a": {"ratio": 0.25}, "b": {"ratio": 0.75}}},
        "c": {"ratio": 0.5},
    }},
    "MobileUser": {"ratio": 0.25, "tasks": {"d": {"ratio": 1.0}}},
}
TOTAL = {
    "WebUser": {"ratio": 0.75, "tasks": {
        "Sub": {"ratio": 0.375, "tasks": {"a": {"ratio": 0.09375}, "b": {"ratio": 0.28125}}},
        "c": {"ratio": 0.375},
    }},
    "MobileUser": {"ratio": 0.25, "tasks": {"d": {"ratio": 0.25}}},
}


def test_per_class_ratios():
    _same(get_task_ratio_dict([WebUser, MobileUser]), PER_CLASS)


def test_total_ratios():
    _same(get_task_ratio_dict([WebUser, MobileUser], total=True), TOTAL)


def test_json_shape_round_trips():
    data = {"per_class": get_task_ratio_dict([WebUser, MobileUser]),
            "total": get_task_ratio_dict([WebUser, MobileUser], total=True)}
    back = json.loads(json.dumps(data))
    _same(back["per_class"], PER_CLASS)
    _same(back["total"], TOTAL)
    # leaves (plain functions) have only a ratio
    assert set(back["total"]["WebUser"]["tasks"]["c"]) == {"ratio"}


def test_taskset_tasks_directly_and_decorated_methods():
    class TS(TaskSet):
        @task(3)
        def often(self):
            pass

        @task
        def rarely(self):
            pass
    _same(get_task_ratio_dict(TS.tasks), {"often": {"ratio": 0.75}, "rarely": {"ratio": 0.25}})
    _same(get_task_ratio_dict(TS.tasks, parent_ratio=0.5),
          {"often": {"ratio": 0.375}, "rarely": {"ratio": 0.125}})


def test_ratios_of_each_level_sum_to_one():
    tree = get_task_ratio_dict([WebUser, MobileUser])

    def check(level):
        assert sum(v["ratio"] for v in level.values()) == pytest.approx(1.0)
        for v in level.values():
            if v.get("tasks"):
                check(v["tasks"])
    check(tree)


def test_same_name_tasks_add_up_and_empty_cases():
    class Base(TaskSet):
        @task
        def index(self):
            pass

    class Child(Base):
        @task
        def index(self):  # overrides, but Base.index stays in the list (as in 0.7)
            pass

        @task(2)
        def other(self):
            pass
    _same(get_task_ratio_dict(Child.tasks), {"index": {"ratio": 0.5}, "other": {"ratio": 0.5}})

    class NoTaskSet(Locust):
        pass
    assert get_task_ratio_dict([]) == {}
    assert get_task_ratio_dict([NoTaskSet]) == {"NoTaskSet": {"ratio": 1.0, "tasks": {}}}


def test_print_task_ratio_indents_two_spaces_per_level():
    out = io.StringIO()
    print_task_ratio([WebUser, MobileUser], total=True, file=out)
    rows = []
    for line in out.getvalue().splitlines():
        indent = len(line) - len(line.lstrip(" "))
        pct, name = line.split()
        rows.append(((indent - 1) // 2, float(pct), name))
    assert rows == [
        (0, 75.0, "WebUser"), (1, 37.5, "Sub"), (2, 9.4, "a"), (2, 28.1, "b"),
        (1, 37.5, "c"), (0, 25.0, "MobileUser"), (1, 25.0, "d"),
    ]
    assert format_task_ratio({"x": {"ratio": 0.5}})[0].split() == ["50.0", "x"]


def _same(actual, expected):
    """Assert two ratio trees are equal, ratios compared approximately."""
    assert set(actual) == set(expected), (actual, expected)
    for name, exp in expected.items():
        act = actual[name]
        assert set(act) == set(exp), (name, act, exp)
        assert act["ratio"] == pytest.approx(exp["ratio"]), name
        if "tasks" in exp:
            _same(act["tasks"], exp["tasks"])
    return True
