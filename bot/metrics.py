"""Prometheus metrics, on a registry of the app's own so tests can build several apps."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """Counters and gauges exposed on ``GET /metrics``; labels never carry a person."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "learnpulse_http_requests",
            "HTTP requests served",
            ["route", "status"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "learnpulse_deliveries",
            "Delivery outcomes",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.answers = Counter("learnpulse_answers", "Answers recorded", registry=self.registry)
        self.send_seconds = Histogram(
            "learnpulse_send_seconds",
            "Time of one platform send",
            ["platform"],
            registry=self.registry,
        )
        self.pending = Gauge(
            "learnpulse_deliveries_pending", "Deliveries waiting to be sent", registry=self.registry
        )
        self.workstreams = Gauge(
            "learnpulse_workstreams", "Workstreams in the loaded program", registry=self.registry
        )
