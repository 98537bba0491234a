"""Prometheus metrics of a runner, served by the dashboard at ``GET /metrics``.

Made with ``prometheus_client``: a custom collector (:class:`LocustCollector`)
reads the runner's statistics when Prometheus scrapes, so nothing is
counted twice and nothing runs between scrapes (no thread, no second HTTP
server: the dashboard's own server answers, behind ``--web-auth`` when set).
On a master the statistics are the merged ones of every slave.

=====================================  =========  ===========================================
metric                                 type       labels, meaning
=====================================  =========  ===========================================
``locust_requests_total``              counter    method, name: requests made (successes and
                                                  failures: what the target received)
``locust_failures_total``              counter    method, name: failed requests
``locust_response_time_seconds``       histogram  method, name: response times, failed
                                                  requests included (``_sum``, ``_count``)
``locust_current_rps``                 gauge      requests per second over the current window
``locust_current_fail_per_sec``        gauge      failures per second over the current window
``locust_current_response_time_seconds``  gauge   quantile: percentiles of the current window
``locust_users``                       gauge      users running now
``locust_target_users``                gauge      users asked for (0 when no test runs)
``locust_state``                       gauge      state: 1 for the runner's state
``locust_slaves``                      gauge      state: slaves in each state (a master)
``locust_slave_cpu_percent``           gauge      slave: CPU use of each slave (% of a core)
``locust_slave_memory_bytes``          gauge      slave: resident memory of each slave
``locust_cpu_percent``                 gauge      CPU use of this process (% of a core)
``process_*``                          various    prometheus_client's process collector
=====================================  =========  ===========================================

The histogram's buckets are read from our 1% histogram: each of our
buckets falls into the first Prometheus bucket whose bound its value does
not exceed, so a count is off only for times within 1% of a bound.
Rendering costs about 0.13 ms per request name (measured: 6.8 ms for 50
names with 2,000 times each, 0.3 ms for one); one scrape a second during a
full-speed run changed requests per CPU-second by less than the runs vary
(bench/load/scrape.py).
"""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.process_collector import ProcessCollector

from .histogram import bucket_value

__all__ = ["LocustCollector", "render", "BUCKETS", "CONTENT_TYPE"]

#: Upper bounds (seconds) of the response-time histogram's buckets; +Inf is added.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75,
           1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0)
#: The Content-Type of the text format.
CONTENT_TYPE = CONTENT_TYPE_LATEST
_LABELS = ("method", "name")
_STATES = ("ready", "hatching", "running", "stopped", "missing")
_bucket_index = {}


def _index_of(key):
    # Our bucket -> the index of the first Prometheus bound >= its value.
    index = _bucket_index.get(key)
    if index is None:
        seconds = bucket_value(key) / 1000.0
        index = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
        _bucket_index[key] = index
    return index


def _buckets(hist):
    counts = [0] * (len(BUCKETS) + 1)
    for key, count in hist.items():
        counts[_index_of(key)] += count
    result, running = [], 0
    for bound, count in zip([*("%g" % b for b in BUCKETS), "+Inf"], counts):
        running += count
        result.append((bound, running))
    return result


class LocustCollector:
    """A prometheus_client collector over ``runner``'s statistics and state."""

    def __init__(self, runner):
        self.runner = runner

    def describe(self):
        """Nothing: the metrics are only known when collected."""
        return []

    def collect(self):
        """Yield the metric families of the table in the module docstring."""
        runner = self.runner
        stats = runner.stats
        requests = CounterMetricFamily("locust_requests", "Requests made (successes and failures)",
                                       labels=_LABELS)
        failures = CounterMetricFamily("locust_failures", "Failed requests", labels=_LABELS)
        times = HistogramMetricFamily("locust_response_time_seconds",
                                      "Response times, failed requests included", labels=_LABELS)
        for (name, method), entry in sorted(stats.entries.items(),
                                            key=lambda item: (str(item[0][0]), str(item[0][1]))):
            labels = ["" if method is None else str(method), str(name)]
            requests.add_metric(labels, entry.num_requests + entry.num_failures)
            failures.add_metric(labels, entry.num_failures)
            total_ms = entry.total_response_time + entry.total_fail_response_time
            times.add_metric(labels, _buckets(entry.all_response_times), total_ms / 1000.0)
        yield requests
        yield failures
        yield times

        current = stats.total.current()
        yield GaugeMetricFamily("locust_current_rps", "Requests per second over the current window",
                                value=current["rps"])
        yield GaugeMetricFamily("locust_current_fail_per_sec",
                                "Failures per second over the current window",
                                value=current["fail_per_sec"])
        quantiles = GaugeMetricFamily("locust_current_response_time_seconds",
                                      "Response time percentiles over the current window",
                                      labels=["quantile"])
        for p, ms in current["percentiles"].items():
            if ms is not None:
                quantiles.add_metric(["%g" % p], ms / 1000.0)
        yield quantiles

        yield GaugeMetricFamily("locust_users", "Users running now", value=runner.user_count)
        active = runner.state in ("hatching", "running")
        yield GaugeMetricFamily("locust_target_users", "Users asked for (0 when no test runs)",
                                value=(getattr(runner, "num_clients", 0) or 0) if active else 0)
        state = GaugeMetricFamily("locust_state", "1 for the runner's state", labels=["state"])
        state.add_metric([str(runner.state)], 1)
        yield state

        clients = getattr(runner, "clients", None)
        if clients is not None:
            nodes = list(clients.values())
            by_state = GaugeMetricFamily("locust_slaves", "Slaves in each state", labels=["state"])
            for name in _STATES:
                by_state.add_metric([name], sum(1 for n in nodes if n.state == name))
            yield by_state
            cpu = GaugeMetricFamily("locust_slave_cpu_percent",
                                    "CPU use of each slave, % of one core", labels=["slave"])
            memory = GaugeMetricFamily("locust_slave_memory_bytes",
                                       "Resident memory of each slave", labels=["slave"])
            for node in nodes:
                if getattr(node, "cpu_percent", None) is not None:
                    cpu.add_metric([str(node.id)], node.cpu_percent)
                if getattr(node, "memory", None) is not None:
                    memory.add_metric([str(node.id)], node.memory)
            yield cpu
            yield memory

        own = getattr(runner, "cpu_percent", None)   # set by locust.saturation's monitor
        if own is not None:
            yield GaugeMetricFamily("locust_cpu_percent",
                                    "CPU use of this process, % of one core", value=own)


def render(runner):
    """The metrics of ``runner`` in Prometheus' text format (bytes)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LocustCollector(runner))
    ProcessCollector(registry=registry)
    return generate_latest(registry)
