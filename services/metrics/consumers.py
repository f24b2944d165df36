"""The metrics service's durable consumers, one per source stream (`add_consumers`); the service, `kf replay metrics`
and the helper processes each build theirs here (without the HTTP app, which helpers do not need)."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from nats.js.api import ConsumerConfig
from sqlalchemy.orm import Session

from kf.runtime.consumer import FETCH_TIMEOUT, EventConsumer
from kf.runtime.service import ServiceRuntime
from services.metrics.catchup import CatchUp
from services.metrics.derive import derive_all, is_pending
from services.metrics.handlers import HANDLERS, batch_handler

if TYPE_CHECKING:
    from services.metrics.helpers import HelperProcesses

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


def add_consumers(runtime: ServiceRuntime, regions: list[str], on_commit=None, *, derive: bool = True,
                  helper: bool = False, helpers: HelperProcesses | None = None) -> list[EventConsumer]:
    """One durable consumer per source stream; one region's subjects when only one region is served.
    `derive=False` (a replay) writes only the facts; the replay derives the rest once at the end. A `helper`
    process's consumers write facts only while the derived tables lag (helpers.py); `helpers` are started when
    this process's consumers begin catching up."""
    derive = derive and not helper
    only = regions[0] if len(regions) == 1 else None
    consumers = []
    settings = runtime.settings
    catch_up = CatchUp(settings.catch_up_backlog, near=settings.consumer_batch_size, helpers=helpers) if derive else None
    for source, handlers in HANDLERS.items():
        apply = batch_handler(regions, derive=derive, catch_up=catch_up, consumer=source, helper=helper)
        consumer = MetricsConsumer(ack_wait=settings.ack_wait_seconds, db=runtime.db, owner=runtime.service,
                                   name=source, source_service=source, batch_handler=apply, batch_types=handlers,
                                   batch_prepare=apply.prepare, inbox=False,  # positions.py
                                   js=runtime.js, metrics=runtime.metrics, region=only,
                                   batch_size=settings.consumer_batch_size, on_commit=on_commit,
                                   serialize_key="metrics-projections",  # batches read, then write shared rows
                                   on_start=finish_pending_derive if derive else None,
                                   on_idle=partial(catch_up.idle, consumer=source) if catch_up else None)
        if helper:  # it ends while the service's consumers go on: what it received and will not apply goes back
            consumer.hand_back_linger = FETCH_TIMEOUT + 0.1
        runtime.consumers.append(consumer)
        consumers.append(consumer)
    return consumers
