"""The kit's batch handler learns where its stream stands: how many messages wait behind each batch, also when a
batch held only duplicates (a consumer catching up decides by it when to derive)."""

from __future__ import annotations

import asyncio
import uuid

import nats
from sqlalchemy import func, select

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream
from kf.runtime.consumer import PROCESSED, BatchInfo, EventConsumer
from kf.runtime.db import Database
from kf.runtime.telemetry import ServiceMetrics
from kf.testing.fixtures import migrate
from kf.testing.streams import wait_until

EVENTS = 10


async def test_each_batch_reports_its_backlog_and_a_batch_of_duplicates_reaches_the_handler(nats_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'batches.db'}"
    migrate("membership", url)  # the kit's processed_events table
    calls: list[tuple[list[str], BatchInfo]] = []

    def handler(_session, items, info: BatchInfo) -> None:
        calls.append(([env.subject for env, _ in items], info))

    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    await ensure_stream(js, "membership")
    await ensure_dead_letter_stream(js)
    envelopes = []
    for i in range(EVENTS):
        event = mev.OrganisationRegistered(organisation_id=f"org-{i}", name=f"Organisation {i}",
                                           org_number="974760673", sector=mev.Sector.municipality)
        envelopes.append(wrap(event, region="ostfold", subject=event.organisation_id))
        await js.publish(event.subject("ostfold"), envelopes[-1].to_json(), headers={"Nats-Msg-Id": envelopes[-1].id})

    db = Database(url)
    consumer = EventConsumer(db=db, owner="metrics", name="membership", source_service="membership", region="ostfold",
                             batch_handler=handler, batch_types=[mev.OrganisationRegistered], js=conn.jetstream,
                             metrics=ServiceMetrics("metrics"), batch_size=4)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        def applied() -> int:
            with db.transaction() as s:
                return s.execute(select(func.count()).select_from(PROCESSED)).scalar_one()

        await asyncio.to_thread(wait_until, lambda: applied() == EVENTS, timeout=20, what="every event applied")
        assert calls[0][0] == ["org-0", "org-1", "org-2", "org-3"] and calls[0][1].backlog == EVENTS - 4
        assert calls[-1][1].backlog == 0

        # The same events again under new message ids: nothing new to apply, but the handler hears the batch.
        before = len(calls)
        for envelope in envelopes[:3]:
            await js.publish("kf.ostfold.membership.organisation.registered", envelope.to_json(),
                             headers={"Nats-Msg-Id": str(uuid.uuid4())})
        await asyncio.to_thread(wait_until, lambda: len(calls) > before, timeout=20, what="the duplicates' batch")
        assert calls[before][0] == [] and calls[before][1].backlog == 0
        assert applied() == EVENTS
    finally:
        stop.set()
        await task
        await conn.close()
        db.dispose()
