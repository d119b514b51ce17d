"""What ``/metrics`` exposes, in the Prometheus text format (``prometheus-client``).

Rules of this module:

- The hot paths (a socket event read, a message written to each of a room's sockets, a commit)
  only add to plain integers and lists that belong to this process's ``Metrics``; nothing there
  takes a lock or calls into prometheus-client. ``MetricsCollector`` turns them into metric
  families when ``/metrics`` is read.
- Counting happens on the event loop's thread (``Histogram.observe`` too): the integers are not
  guarded against other threads.
- Every label set is bounded: event names come from the catalogue (``server/protocol.py``) and an
  event with no handler is counted as ``unknown``; nothing names a person, a session or a
  participant.
- Every sample carries ``process``: several Tandem processes may serve one machine, each with its
  own ``/metrics``.

Parts of the server add their own figures through the same object: ``ctx.metrics.gauge(...)``
for a value read at scrape time, ``ctx.metrics.redis_round_trip.observe(seconds)`` for a Redis
round trip, ``ctx.metrics.ledger_commit.observe(seconds)`` for a ledger's commit.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.gc_collector import GC_COLLECTOR
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

# The exposition's media type (the text format 0.0.4, which every Prometheus reads).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The label of events in that have no handler: whatever a client names them, one label.
UNKNOWN_EVENT = "unknown"

# Seconds. An acknowledgement waits for its commit (a few milliseconds with full sync).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)
REDIS_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                 0.5, 1.0)


class Histogram:
    """Observations counted into fixed buckets (upper bounds, inclusive) and summed."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: Sequence[float] = LATENCY_BUCKETS) -> None:
        if list(bounds) != sorted(set(bounds)) or not bounds:
            raise ValueError("bucket bounds must be increasing and distinct")
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last: above every bound (+Inf)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, float]]:
        """Prometheus's buckets: how many observations were at most each bound."""
        out, total = [], 0
        for bound, count in zip((*map(repr, self.bounds), "+Inf"), self.counts, strict=True):
            total += count
            out.append((bound, float(total)))
        return out


@dataclass(slots=True)
class Traffic:
    """Socket traffic, by event name: events read (and how long until their acknowledgement),
    events emitted, and deliveries (one event written to one socket)."""

    events_in: dict[str, int] = field(default_factory=dict)
    ack_seconds: dict[str, Histogram] = field(default_factory=dict)
    events_out: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)

    def answered(self, event: str, seconds: float) -> None:
        """An event was read and acknowledged ``seconds`` later."""
        self.events_in[event] = self.events_in.get(event, 0) + 1
        histogram = self.ack_seconds.get(event)
        if histogram is None:
            histogram = self.ack_seconds[event] = Histogram()
        histogram.observe(seconds)

    def emitted(self, event: str, recipients: int) -> None:
        """One emit of ``event``, written to ``recipients`` sockets."""
        self.events_out[event] = self.events_out.get(event, 0) + 1
        self.deliveries[event] = self.deliveries.get(event, 0) + recipients


Gauge = tuple[str, str, Callable[[], float]]


@dataclass(slots=True)
class Metrics:
    """This process's figures. ``enabled`` False (``--no-metrics``): the hot paths count nothing
    and ``/metrics`` is not served."""

    process: str
    enabled: bool = True
    traffic: Traffic = field(default_factory=Traffic)
    ledger_commit: Histogram = field(default_factory=Histogram)
    ledger_commit_failures: int = 0
    redis_round_trip: Histogram = field(default_factory=lambda: Histogram(REDIS_BUCKETS))
    gauges: list[Gauge] = field(default_factory=list)

    def gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """Expose ``read()`` as the gauge ``name`` (read at every scrape, on the event loop)."""
        if any(existing == name for existing, _doc, _read in self.gauges):
            raise ValueError(f"the gauge {name!r} is already exposed")
        self.gauges.append((name, documentation, read))

    def registry(self) -> CollectorRegistry:
        """A registry of this process's figures and prometheus-client's process and garbage
        collector figures, each sample labelled with ``process``."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(Labelled(self.process, [
            MetricsCollector(self), ProcessCollector(registry=None), GC_COLLECTOR]))
        return registry


class MetricsCollector(Collector):
    """Reads ``Metrics`` at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        m, traffic = self.metrics, self.metrics.traffic
        for name, documentation, read in m.gauges:
            yield GaugeMetricFamily(name, documentation, value=read())
        yield _counter("tandem_events_in", "Socket events read, by event name (events with no "
                       "handler as 'unknown')", traffic.events_in)
        yield _counter("tandem_events_out", "Events emitted (to a room or to one connection), by "
                       "event name", traffic.events_out)
        yield _counter("tandem_deliveries", "Events written to sockets, one per recipient, by "
                       "event name", traffic.deliveries)
        acks = HistogramMetricFamily(
            "tandem_ack_seconds", "Time from a socket event being read to its acknowledgement "
            "(after its change is on disk), by event name", labels=["event"])
        for event, histogram in sorted(traffic.ack_seconds.items()):
            acks.add_metric([event], histogram.cumulative(), histogram.sum)
        yield acks
        yield _histogram("tandem_ledger_commit_seconds", "Time to commit one batch of writes to "
                         "the ledger (the embedded database: journal and ledger together)",
                         m.ledger_commit)
        yield CounterMetricFamily("tandem_ledger_commit_failures", "Ledger commits that failed "
                                  "(nothing of the batch was kept)",
                                  value=m.ledger_commit_failures)
        yield _histogram("tandem_redis_round_trip_seconds", "Round trips to Redis",
                         m.redis_round_trip)


def _counter(name: str, documentation: str, counts: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=["event"])
    for event, count in sorted(counts.items()):
        family.add_metric([event], count)
    return family


def _histogram(name: str, documentation: str, histogram: Histogram) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], histogram.cumulative(), histogram.sum)
    return family


class Labelled(Collector):
    """Other collectors' metrics with the ``process`` label added to every sample."""

    def __init__(self, process: str, collectors: list[Collector]) -> None:
        self.process = process
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            for metric in collector.collect():
                metric.samples = [s._replace(labels={**s.labels, "process": self.process})
                                  for s in metric.samples]
                yield metric
