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
        self.platform_events = Counter(
            "learnpulse_platform_events",
            "Platform events (joins, DMs, App Home opens) once dealt with: handled, retry (a "
            "redelivery of one already handled) or ignored (nothing for the bot to do)",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.answers_held = Gauge(
            "learnpulse_answers_held",
            "Clicks held by the answer recorder: waiting for their group or being written",
            registry=self.registry,
        )
        self.click_backlog = Gauge(
            "learnpulse_click_backlog",
            "Clicks acknowledged and not yet handled, plus those waiting for room",
            ["platform"],
            registry=self.registry,
        )
        self.clicks_refused = Counter(
            "learnpulse_clicks_refused",
            "Clicks answered 503 because a bound was reached",
            ["platform"],
            registry=self.registry,
        )
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
        # labelled children, looked up once: ``labels`` takes a lock and builds a key per call,
        # and the sender asks for them on every send
        self._outcomes: dict[tuple[str, str], Counter] = {}
        self._send_times: dict[str, Histogram] = {}

    def delivery_outcome(self, platform: str, outcome: str) -> Counter:
        """``deliveries`` labelled with ``platform`` and ``outcome``."""
        key = (platform, outcome)
        if key not in self._outcomes:
            self._outcomes[key] = self.deliveries.labels(platform, outcome)
        return self._outcomes[key]

    def send_time(self, platform: str) -> Histogram:
        """``send_seconds`` labelled with ``platform``."""
        if platform not in self._send_times:
            self._send_times[platform] = self.send_seconds.labels(platform)
        return self._send_times[platform]
