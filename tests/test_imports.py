"""The import graph of the product: no cycle, and the layers of ARCHITECTURE.md.

Read with ``ast`` from the sources, nothing is imported.  Every import
counts, also the ones inside functions: a lazy import that only dodges a
cycle is still a cycle.  The few lazy imports that close a cycle on purpose,
for import speed, are listed in :data:`LAZY_FOR_SPEED` with their reason
(and the test checks that they are indeed lazy).

The layers (``ARCHITECTURE.md``): a module imports only from its own layer
and the layers before it in :data:`LAYERS`, and the engine imports nothing
of the product outside itself.  A new module must be placed in a layer here
and in ARCHITECTURE.md.
"""

import ast
import os
import sys

import pytest

from support import ROOT

PACKAGE = os.path.join(ROOT, "locust")

#: The layers, in order; a module belongs to the first entry that names it
#: or a package above it (``locust`` alone is the package's __init__).
LAYERS = [
    ("leaves", ["locust._version", "locust.events", "locust.exception"]),
    ("engine", ["locust.engine"]),
    ("HTTP client", ["locust.clients", "locust._http", "locust._fasthttp"]),
    ("user API", ["locust", "locust.core", "locust.user", "locust.contrib", "locust.shape",
                  "locust.locustfile",
                  "locust.inspectlocust"]),
    ("statistics", ["locust.stats", "locust.stats_report", "locust.histogram",
                    "locust.stats_errors", "locust.history", "locust.reports",
                    "locust.stats_loops"]),
    ("runners", ["locust.runners", "locust.runners_v2", "locust.retire", "locust.master",
                 "locust.slave", "locust.rpc", "locust.endpoint", "locust.saturation"]),
    ("dashboard and command line", ["locust.web", "locust.web_app", "locust.web_ui", "locust.env",
                                    "locust.cli_v2", "locust.debug", "locust.log",
                                    "locust.metrics", "locust.logbuffer", "locust.html_report",
                                    "locust.main", "locust.argument_parser",
                                    "locust.configuration", "locust.thresholds",
                                    "locust.summary", "locust.processes", "locust.__main__"]),
]

#: Lazy imports that close a cycle on purpose: (importer, imported) -> why.
LAZY_FOR_SPEED = {
    ("locust.runners", "locust.master"):
        "the 0.7 name locust.runners.MasterLocustRunner, loaded on first use so that a "
        "local run never imports ZeroMQ",
    ("locust.runners", "locust.slave"):
        "the 0.7 name locust.runners.SlaveLocustRunner, loaded on first use so that a "
        "local run never imports ZeroMQ",
    ("locust.stats", "locust.stats_loops"):
        "the 2.x names locust.stats.stats_printer/stats_history, loaded on first use: "
        "they print tables (stats_report), which a slave or a script never needs",
    ("locust.runners_v2", "locust.env"):
        "2.x's Environment and runner refer to each other: a runner created without one "
        "(the 0.7 way, or a library script) makes its Environment on first use, and only "
        "then pays for importing the dashboard's modules",
}

#: Never imported by the product (COMMON rules: no threads, no asyncio, no gevent/requests).
FORBIDDEN = ("gevent", "requests", "threading", "concurrent", "asyncio")


def product_modules():
    """{module name: path} of every module under locust/."""
    modules = {}
    for dirpath, _dirnames, filenames in os.walk(PACKAGE):
        for filename in filenames:
            if filename.endswith(".py"):
                path = os.path.join(dirpath, filename)
                name = os.path.relpath(path[:-3], ROOT).replace(os.sep, ".")
                if name.endswith(".__init__"):
                    name = name[:-len(".__init__")]
                modules[name] = path
    return modules


MODULES = product_modules()


def imports_of(name, path):
    """[(imported module, lazy, line)] of the product modules ``name`` imports,
    and [(top-level package, line)] of everything else it imports."""
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)
    is_package = path.endswith("__init__.py")
    lazy_nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in ast.walk(node):
                if inner is not node:
                    lazy_nodes.add(id(inner))
    found, external = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = []
            for alias in node.names:
                candidate = module + "." + alias.name
                targets.append(candidate if candidate in MODULES else module)
        else:
            continue
        lazy = id(node) in lazy_nodes
        for target in targets:
            if target == "locust" or target.startswith("locust."):
                while target not in MODULES:      # a name inside a module
                    target = target.rsplit(".", 1)[0]
                if target != name:
                    found.append((target, lazy, node.lineno))
            else:
                external.append((target.split(".")[0], node.lineno))
    return found, external


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def layer_of(name):
    for index, (_title, members) in enumerate(LAYERS):
        for member in members:
            if name == member or (member != "locust" and name.startswith(member + ".")):
                return index
    return None


def test_every_module_has_a_layer():
    unplaced = sorted(name for name in MODULES if layer_of(name) is None)
    assert not unplaced, "place these modules in LAYERS (and in ARCHITECTURE.md): %s" % unplaced


def test_each_layer_imports_only_from_itself_and_the_layers_before_it():
    wrong = []
    for name, (imported, _external) in GRAPH.items():
        mine = layer_of(name)
        for target, _lazy, line in imported:
            theirs = layer_of(target)
            if mine is None or theirs is None or (name, target) in LAZY_FOR_SPEED:
                continue  # a listed lazy import says why it reaches up
            if theirs > mine:
                wrong.append("%s:%d imports %s (%s after %s)" % (
                    name, line, target, LAYERS[theirs][0], LAYERS[mine][0]))
    assert not wrong, "\n".join(wrong)


def test_the_engine_imports_nothing_of_the_product_outside_itself():
    outside = ["%s:%d imports %s" % (name, line, target)
               for name, (imported, _external) in GRAPH.items()
               if name.startswith("locust.engine")
               for target, _lazy, line in imported
               if not target.startswith("locust.engine")]
    assert not outside, "\n".join(outside)


def test_no_import_cycle_among_product_modules():
    edges = {name: set() for name in MODULES}
    for name, (imported, _external) in GRAPH.items():
        for target, lazy, _line in imported:
            if (name, target) in LAZY_FOR_SPEED:
                assert lazy, "%s imports %s at the top: it is listed as lazy" % (name, target)
                continue
            edges[name].add(target)
    cycles = _cycles(edges)
    assert not cycles, "import cycles among:\n" + "\n".join(", ".join(c) for c in cycles)


def test_the_lazy_imports_for_speed_are_still_there():
    # A stale entry would hide a future cycle of the same pair.
    for (name, target), _reason in LAZY_FOR_SPEED.items():
        assert any(t == target for t, _lazy, _line in GRAPH[name][0]), (name, target)


def test_no_forbidden_library_in_the_product():
    used = ["%s:%d imports %s" % (name, line, package)
            for name, (_imported, external) in GRAPH.items()
            for package, line in external if package in FORBIDDEN]
    assert not used, "\n".join(used)


def _cycles(edges):
    """The strongly connected components with more than one module (Tarjan), as paths."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges)))

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_the_cycle_finder_itself(edges, expected):
    assert _cycles(edges) == expected
