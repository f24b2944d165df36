"""A batch with a refused event is applied again event by event, each in a savepoint. When that pass fails later on
(the database goes away), nothing of the batch may stay behind: on SQLite, pysqlite began no transaction before the
first savepoint, whose release then committed the events before it without their inbox rows, so the redelivered
batch applied them a second time."""

from __future__ import annotations

import asyncio

import nats
from sqlalchemy import text

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.contracts.subjects import DEAD_LETTER_STREAM
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream
from kf.runtime.consumer import EventConsumer, RejectEvent
from kf.runtime.db import Database
from kf.runtime.telemetry import ServiceMetrics
from kf.testing.fixtures import migrate
from kf.testing.streams import read_stream, wait_until


async def test_a_batch_that_fails_after_a_refused_event_leaves_nothing_applied_twice(nats_server, database_url):
    migrate("membership", database_url)  # the kit's processed_events table
    db = Database(database_url)
    with db.transaction() as s:
        s.execute(text("DROP TABLE IF EXISTS applications"))
        s.execute(text("CREATE TABLE applications (event_id VARCHAR(64), org VARCHAR(64))"))
    failures = ["the database went away"]  # the third event fails once, as a lost connection would

    def handler(session, envelope, event) -> None:
        if event.name == "refused":
            raise RejectEvent("refused on purpose")
        if event.name == "flaky" and failures:
            raise RuntimeError(failures.pop())
        session.execute(text("INSERT INTO applications (event_id, org) VALUES (:e, :o)"),
                        {"e": envelope.id, "o": event.organisation_id})

    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    await ensure_stream(js, "membership")
    await ensure_dead_letter_stream(js)
    for oid, name in (("org-a", "fine"), ("org-b", "refused"), ("org-c", "flaky")):
        event = mev.OrganisationRegistered(organisation_id=oid, name=name, org_number="974760673",
                                           sector=mev.Sector.municipality)
        envelope = wrap(event, region="ostfold", subject=oid)
        await js.publish(event.subject("ostfold"), envelope.to_json(), headers={"Nats-Msg-Id": envelope.id})
    consumer = EventConsumer(db=db, owner="probe", name="membership", source_service="membership", js=conn.jetstream,
                             metrics=ServiceMetrics("probe"), handlers={mev.OrganisationRegistered: handler})

    def applications() -> list[tuple[str, int]]:
        with db.transaction() as s:
            return [tuple(r) for r in s.execute(text("SELECT org, count(*) FROM applications GROUP BY org ORDER BY org"))]

    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await asyncio.to_thread(wait_until, lambda: ("org-c", 1) in applications(), timeout=30,
                                what="the flaky event applied after its redelivery")
    finally:
        stop.set()
        await task
        await conn.close()
    assert not failures  # the batch did fail once
    assert applications() == [("org-a", 1), ("org-c", 1)]
    dead = await asyncio.to_thread(read_stream, nats_server.url, DEAD_LETTER_STREAM)
    assert [m.headers["Kf-Stream-Seq"] for m in dead] == ["2"]
    db.engine.dispose()
