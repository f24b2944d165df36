"""Wires the metrics service together: `create_app(settings)`."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from nats.js.api import ConsumerConfig
from sqlalchemy.orm import Session

from kf.runtime.consumer import EventConsumer
from kf.runtime.http import create_service_app
from kf.runtime.service import ServiceRuntime
from services.metrics import api
from services.metrics.catchup import CatchUp
from services.metrics.derive import derive_all, is_pending
from services.metrics.gauges import KpiCollector
from services.metrics.handlers import HANDLERS, batch_handler
from services.metrics.settings import Settings
from services.metrics.usecases import MetricsUseCases

SOURCES = ("membership", "events", "measures")
log = logging.getLogger("kf.metrics")


class MetricsConsumer(EventConsumer):
    """The kit's consumer with the redelivery delay taken from the metrics settings."""

    def __init__(self, *, ack_wait: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ack_wait = ack_wait

    def consumer_config(self) -> ConsumerConfig:
        config = super().consumer_config()
        config.ack_wait = self.ack_wait
        return config


def finish_pending_derive(s: Session) -> None:
    """A replay stopped before its end left the derived tables behind the facts: derive them before consuming."""
    if is_pending(s):
        log.warning("derived tables lag the facts (a replay did not finish): deriving them now")
        derive_all(s)


def add_consumers(runtime: ServiceRuntime, regions: list[str], on_commit=None, *, derive: bool = True) -> list[EventConsumer]:
    """One durable consumer per source stream; one region's subjects when only one region is served.
    `derive=False` (a replay) writes only the facts; the replay derives the rest once at the end."""
    only = regions[0] if len(regions) == 1 else None
    consumers = []
    settings = runtime.settings
    catch_up = CatchUp(settings.catch_up_backlog, near=settings.consumer_batch_size) if derive else None
    for source, handlers in HANDLERS.items():
        apply = batch_handler(regions, derive=derive, catch_up=catch_up, consumer=source)
        consumer = MetricsConsumer(ack_wait=settings.ack_wait_seconds, db=runtime.db, owner=runtime.service,
                                   name=source, source_service=source, batch_handler=apply, batch_types=handlers,
                                   js=runtime.js, metrics=runtime.metrics, region=only,
                                   batch_size=settings.consumer_batch_size, on_commit=on_commit,
                                   serialize_key="metrics-projections",  # batches read, then write shared rows
                                   on_start=finish_pending_derive if derive else None)
        runtime.consumers.append(consumer)
        consumers.append(consumer)
    return consumers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    regions = settings.served_regions()
    usecases = MetricsUseCases(runtime, regions)
    add_consumers(runtime, regions, on_commit=usecases.cache.invalidate)
    runtime.metrics.registry.register(KpiCollector(usecases))
    app = create_service_app(runtime, [api.router], description=(
        "KPIs of a regional competence forum computed from every domain event, the steering group's goals "
        "with their status, and the network of organisations. Projections are rebuilt with `kf replay metrics`."))
    app.state.usecases = usecases
    app.state.regions = set(regions)
    return app
