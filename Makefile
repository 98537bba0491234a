# The project's commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BENCH_VENV ?= .venv-bench

.PHONY: venv test demo bench lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dev]'
	touch $@

venv: $(VENV)/.installed

# Four workers: most of the suite waits (on subprocesses, sockets, a browser)
# rather than computes, so four overlap well on two cores.
test: venv
	$(PY) -m pytest -q -n 4 tests

demo: venv
	$(PY) examples/demo.py

$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e . gevent requests
	touch $@

# Prints figures, asserts nothing: the engine against gevent, HttpSession
# against requests + gevent, side by side in one run.
bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/engine_bench.py
	$(BENCH_VENV)/bin/python bench/client_bench.py

lint: venv
	$(VENV)/bin/ruff check locust tests examples bench

clean:
	rm -rf $(VENV) $(BENCH_VENV) build *.egg-info
