"""Prometheus metrics of a service, in a registry of its own (no global state shared by tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = {"service": service}
        self.requests = Counter("kf_http_requests", "HTTP requests handled", ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("kf_http_request_seconds", "HTTP request latency", ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        self.events_published = Counter("kf_events_published", "Events published from the outbox to JetStream", ["event_type"], registry=self.registry)
        self.outbox_backlog = Gauge("kf_outbox_backlog", "Outbox rows not yet published", registry=self.registry)
        self.relay_errors = Counter("kf_outbox_relay_errors", "Relay rounds that failed (broker unreachable, ...)", registry=self.registry)
        self.events_applied = Counter("kf_events_applied", "Events applied by a consumer", ["consumer"], registry=self.registry)
        self.events_duplicate = Counter("kf_events_duplicate", "Redelivered events skipped because already applied", ["consumer"], registry=self.registry)
        self.events_unknown = Counter("kf_events_unknown_type", "Events of a type this build does not know, skipped", ["consumer"], registry=self.registry)
        self.events_dead_lettered = Counter("kf_events_dead_lettered", "Events sent to the dead-letter stream", ["consumer"], registry=self.registry)
        self.consumer_lag = Gauge("kf_consumer_lag", "Messages waiting for a consumer", ["consumer"], registry=self.registry)
        self.batch_seconds = Histogram("kf_consumer_batch_seconds", "Time to apply and commit one fetched batch", ["consumer"], registry=self.registry,
                                       buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.info = Gauge("kf_service_info", "Service identity", ["service"], registry=self.registry)
        self.info.labels(**labels).set(1)
