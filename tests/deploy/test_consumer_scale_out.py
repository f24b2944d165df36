"""Two replicas of a service share one durable JetStream consumer: every event is applied exactly once.

This is what happens when a Deployment runs `replicas: 2` (docs/operations.md, "Scaling consumers"): both
pods open the same durable pull consumer `OWNER-NAME`, JetStream hands each fetched batch to one of them,
and the shared database's `processed_events` table turns a second delivery of an event into a no-op.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import nats
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.contracts.subjects import stream_name
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream
from kf.runtime.consumer import PROCESSED, EventConsumer
from kf.runtime.db import Database
from kf.runtime.telemetry import ServiceMetrics
from kf.testing.fixtures import migrate

EVENTS = 60
REPUBLISHED = 15  # the same events again under new message ids, as a crashed publisher without dedup would


def _projection(url: str) -> Table:
    """A tiny projection with no unique key, so an event applied twice would show as two rows."""
    table = Table("organisations_seen", MetaData(), Column("row", Integer, primary_key=True, autoincrement=True),
                  Column("event_id", String(64), nullable=False), Column("replica", String(20), nullable=False))
    db = Database(url)
    table.create(db.engine)
    db.dispose()
    return table


async def test_two_replicas_share_one_durable_consumer_and_apply_each_event_once(nats_server, database_url):
    migrate("membership", database_url)  # brings the kit's processed_events table, as `kf migrate` would
    seen = _projection(database_url)

    def record(replica: str):
        def handler(session, envelope, _event) -> None:
            session.execute(insert(seen).values(event_id=envelope.id, replica=replica))
            time.sleep(0.005)  # real handlers take time; it lets the other replica's fetch be served meanwhile
        return handler

    publisher = await nats.connect(nats_server.url)
    replicas = []
    stop = asyncio.Event()
    try:
        js = publisher.jetstream()
        await ensure_stream(js, "membership")
        await ensure_dead_letter_stream(js)
        for name in ("replica-a", "replica-b"):
            conn = await nats.connect(nats_server.url, name=name)
            db = Database(database_url)  # each pod has its own connection pool to the shared database
            consumer = EventConsumer(db=db, owner="metrics", name="membership", source_service="membership",
                                     region="ostfold", handlers={mev.OrganisationRegistered: record(name)},
                                     js=conn.jetstream, metrics=ServiceMetrics("metrics"), batch_size=5)
            replicas.append((name, conn, db, consumer, asyncio.create_task(consumer.run(stop))))
        await asyncio.wait_for(asyncio.gather(*(r[3].ready.wait() for r in replicas)), timeout=15)

        envelopes = []
        for i in range(EVENTS):
            event = mev.OrganisationRegistered(organisation_id=f"org-{i}", name=f"Organisation {i}",
                                               org_number="974760673", sector=mev.Sector.municipality)
            envelope = wrap(event, region="ostfold", subject=event.organisation_id)
            envelopes.append(envelope)
            await js.publish(event.subject("ostfold"), envelope.to_json(), headers={"Nats-Msg-Id": envelope.id})
        for envelope in envelopes[:REPUBLISHED]:
            await js.publish("kf.ostfold.membership.organisation.registered", envelope.to_json(),
                             headers={"Nats-Msg-Id": str(uuid.uuid4())})
        # Another region's event is outside this consumer's filter and is not applied here.
        other = wrap(mev.OrganisationRegistered(organisation_id="vt-1", name="Vestfold", org_number="974760673",
                                                sector=mev.Sector.county), region="vestfold-telemark", subject="vt-1")
        await js.publish("kf.vestfold-telemark.membership.organisation.registered", other.to_json())

        check = Database(database_url)
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            info = await js.consumer_info(stream_name("membership"), "metrics-membership")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
            await asyncio.sleep(0.1)
        assert info.num_pending == 0 and info.num_ack_pending == 0, info
        assert info.config.filter_subject == "kf.ostfold.membership.>"

        with check.engine.connect() as conn:
            per_event = dict(conn.execute(select(seen.c.event_id, func.count()).group_by(seen.c.event_id)).all())
            per_replica = dict(conn.execute(select(seen.c.replica, func.count()).group_by(seen.c.replica)).all())
            recorded = conn.execute(select(func.count()).select_from(PROCESSED)
                                    .where(PROCESSED.c.consumer == "metrics-membership")).scalar_one()
        check.dispose()
        assert set(per_event) == {e.id for e in envelopes}, "every event applied, and only this region's"
        assert set(per_event.values()) == {1}, "no event applied twice"
        assert recorded == EVENTS
        assert set(per_replica) == {"replica-a", "replica-b"} and sum(per_replica.values()) == EVENTS, \
            f"both replicas shared the work: {per_replica}"
        names = [c.name for c in await js.consumers_info(stream_name("membership"))]
        assert names == ["metrics-membership"], "one durable consumer, shared by both replicas"
    finally:
        stop.set()
        for _name, conn, db, _consumer, task in replicas:
            await asyncio.wait_for(task, timeout=10)
            await conn.close()
            db.dispose()
        await publisher.close()

