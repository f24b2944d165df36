"""The kit's batch handler learns where its stream stands: how many messages wait behind each batch, also when a
batch held only duplicates (a consumer catching up decides by it when to derive). A handler that must stop (a metrics
helper whose task is over) hands its batch back at once to the other consumers of the same durable, as does a
consumer that ends with messages still queued. A consumer without an inbox applies a redelivered event again; the
idle step and prepared batches behave as documented; `pull` returns a short stream at once and a new message as it
comes. Writers of one SQLite file in different processes take turns on its lock file. A batch acknowledged in one
write is not delivered again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import time
import uuid

import nats
from sqlalchemy import func, select

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream
from kf.runtime.consumer import PROCESSED, BatchInfo, EventConsumer, StopConsuming, pull, writer_file_lock
from kf.runtime.db import Database, make_engine
from kf.runtime.telemetry import ServiceMetrics
from kf.testing.fixtures import migrate
from kf.testing.streams import wait_until

EVENTS = 10


def membership_consumer(db: Database, conn, handler, **options) -> EventConsumer:
    """A consumer of the membership stream's organisations on the durable `metrics-membership`, applying batches."""
    return EventConsumer(db=db, owner="metrics", name="membership", source_service="membership", region="ostfold",
                         batch_handler=handler, batch_types=[mev.OrganisationRegistered], js=conn.jetstream,
                         metrics=ServiceMetrics("metrics"), **options)


@contextlib.asynccontextmanager
async def running(consumer: EventConsumer):
    """The consumer's loop, running for the block; stopped, and its last batch finished, after it."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


def applied(db: Database) -> int:
    with db.transaction() as s:
        return s.execute(select(func.count()).select_from(PROCESSED)).scalar_one()


async def publish_organisations(js) -> list:
    await ensure_stream(js, "membership")
    await ensure_dead_letter_stream(js)
    envelopes = []
    for i in range(EVENTS):
        event = mev.OrganisationRegistered(organisation_id=f"org-{i}", name=f"Organisation {i}",
                                           org_number="974760673", sector=mev.Sector.municipality)
        envelopes.append(wrap(event, region="ostfold", subject=event.organisation_id))
        await js.publish(event.subject("ostfold"), envelopes[-1].to_json(), headers={"Nats-Msg-Id": envelopes[-1].id})
    return envelopes


async def test_each_batch_reports_its_backlog_and_a_batch_of_duplicates_reaches_the_handler(nats_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'batches.db'}"
    migrate("membership", url)  # the kit's processed_events table
    calls: list[tuple[list[str], BatchInfo]] = []

    def handler(_session, items, info: BatchInfo) -> None:
        calls.append(([env.subject for env, _ in items], info))

    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    envelopes = await publish_organisations(js)

    db = Database(url)
    consumer = membership_consumer(db, conn, handler, batch_size=4)
    try:
        async with running(consumer):
            await asyncio.to_thread(wait_until, lambda: applied(db) == EVENTS, timeout=20, what="every event applied")
            assert calls[0][0] == ["org-0", "org-1", "org-2", "org-3"] and calls[0][1].backlog == EVENTS - 4
            assert calls[-1][1].backlog == 0

            # The same events again under new message ids: nothing new to apply, but the handler hears the batch.
            before = len(calls)
            for envelope in envelopes[:3]:
                await js.publish("kf.ostfold.membership.organisation.registered", envelope.to_json(),
                                 headers={"Nats-Msg-Id": str(uuid.uuid4())})
            await asyncio.to_thread(wait_until, lambda: len(calls) > before, timeout=20, what="the duplicates' batch")
            assert calls[before][0] == [] and calls[before][1].backlog == 0
            assert applied(db) == EVENTS
    finally:
        await conn.close()
        db.dispose()


async def test_a_consumer_without_an_inbox_gives_a_redelivered_event_to_its_idempotent_handler_again(nats_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'no-inbox.db'}"
    migrate("membership", url)
    seen: list[str] = []

    def handler(_session, items, _info: BatchInfo) -> None:
        seen.extend(env.id for env, _ in items)

    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    envelopes = await publish_organisations(js)
    db = Database(url)
    consumer = membership_consumer(db, conn, handler, batch_size=4, inbox=False)
    try:
        async with running(consumer):
            await asyncio.to_thread(wait_until, lambda: len(seen) == EVENTS, timeout=20, what="every event applied")
            for envelope in envelopes[:3]:  # the same events again under new message ids
                await js.publish("kf.ostfold.membership.organisation.registered", envelope.to_json(),
                                 headers={"Nats-Msg-Id": str(uuid.uuid4())})
            await asyncio.to_thread(wait_until, lambda: len(seen) == EVENTS + 3, timeout=20, what="the copies applied")
            assert seen == [e.id for e in envelopes] + [e.id for e in envelopes[:3]]
            assert applied(db) == 0, "no applied ids written"
    finally:
        await conn.close()
        db.dispose()


async def test_a_handler_that_stops_hands_its_batch_back_at_once_to_the_other_consumer(nats_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'stop.db'}"
    migrate("membership", url)
    conn = await nats.connect(nats_server.url)
    await publish_organisations(conn.jetstream())
    seen: list[str] = []

    def stopping(_session, items, _info) -> None:
        seen.extend(env.subject for env, _ in items)
        raise StopConsuming("helper no longer needed")

    db = Database(url)

    helper = membership_consumer(db, conn, stopping, batch_size=4)  # both on the same durable, ack wait 60 s
    try:
        await asyncio.wait_for(helper.run(asyncio.Event()), timeout=20)  # returns by itself after its first batch
        assert helper.stopped and seen == ["org-0", "org-1", "org-2", "org-3"]
        assert applied(db) == 0, "the stopped batch was rolled back"

        kept: list[str] = []
        service = membership_consumer(db, conn, lambda _s, items, _i: kept.extend(env.subject for env, _ in items),
                                      batch_size=4)
        async with running(service):
            # Well before the 60 s ack wait: the stopped batch was handed back, not left to time out.
            await asyncio.to_thread(wait_until, lambda: applied(db) == EVENTS, timeout=15, what="every event applied")
            assert sorted(kept) == sorted(f"org-{i}" for i in range(EVENTS))
    finally:
        await conn.close()
        db.dispose()


async def test_the_idle_step_runs_once_when_the_stream_runs_dry_and_its_change_counts_as_a_commit(nats_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'idle.db'}"
    migrate("membership", url)
    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    await publish_organisations(js)
    db = Database(url)
    idle: list[int] = []
    commits: list[int] = []

    def on_idle(session) -> bool:
        idle.append(session.execute(select(func.count()).select_from(PROCESSED)).scalar_one())
        return True

    consumer = membership_consumer(db, conn, lambda *_: None, batch_size=4, on_idle=on_idle,
                                   on_commit=lambda: commits.append(len(idle)))
    try:
        async with running(consumer):
            await asyncio.to_thread(wait_until, lambda: idle, timeout=20, what="the idle step")
            assert idle == [EVENTS], "it ran after every batch was committed"
            await asyncio.sleep(2.5)  # more empty fetches: no second idle step until a batch comes
            assert idle == [EVENTS] and commits[-1] == 1
            await publish_organisations(js)  # more events, then dry again
            await asyncio.to_thread(wait_until, lambda: len(idle) == 2, timeout=20, what="the second idle step")
            assert idle == [EVENTS, 2 * EVENTS]
    finally:
        await conn.close()
        db.dispose()


async def test_a_prepared_batch_is_used_only_when_no_event_of_it_was_applied_already(nats_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'prepared.db'}"
    migrate("membership", url)
    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    envelopes = await publish_organisations(js)
    db = Database(url)
    calls: list[tuple[list[str], object]] = []

    def handler(_session, items, _info, prepared=None) -> None:
        calls.append(([env.subject for env, _ in items], prepared))

    consumer = membership_consumer(db, conn, handler, batch_size=EVENTS,
                                   batch_prepare=lambda items: [env.subject for env, _ in items])
    try:
        async with running(consumer):
            await asyncio.to_thread(wait_until, lambda: calls, timeout=20, what="the first batch")
            first = [f"org-{i}" for i in range(EVENTS)]
            assert calls == [(first, first)], "new events: the batch prepared before the lock is the one applied"
        # Two events again under new message ids, with a new one, fetched as one batch: the handler gets the new
        # one only, and not the prepared batch (which held the other two).
        extra = mev.OrganisationRegistered(organisation_id="org-new", name="New", org_number="974760673",
                                           sector=mev.Sector.business)
        again = [*envelopes[:2], wrap(extra, region="ostfold", subject="org-new")]
        for envelope in again:
            await js.publish("kf.ostfold.membership.organisation.registered", envelope.to_json(),
                             headers={"Nats-Msg-Id": str(uuid.uuid4())})
        async with running(consumer):
            await asyncio.to_thread(wait_until, lambda: len(calls) == 2, timeout=20, what="the second batch")
            assert calls[1] == (["org-new"], None)
    finally:
        await conn.close()
        db.dispose()


async def test_an_idle_step_that_fails_is_tried_again_at_the_next_empty_fetch(nats_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'idle-retry.db'}"
    migrate("membership", url)
    conn = await nats.connect(nats_server.url)
    await publish_organisations(conn.jetstream())
    db = Database(url)
    attempts: list[int] = []

    def on_idle(_session) -> bool:
        attempts.append(len(attempts))
        if len(attempts) == 1:
            raise RuntimeError("database unreachable")  # e.g. a derive that failed: the KPIs must not stay frozen
        return False

    consumer = membership_consumer(db, conn, lambda *_: None, batch_size=EVENTS, on_idle=on_idle)
    try:
        async with running(consumer):
            await asyncio.to_thread(wait_until, lambda: len(attempts) == 2, timeout=20, what="the idle step tried again")
            await asyncio.sleep(2.5)
            assert len(attempts) == 2, "once it ran, no further idle step until a batch comes"
    finally:
        await conn.close()
        db.dispose()


async def test_pull_returns_what_the_stream_has_at_once_and_waits_only_for_the_first_new_message(nats_server):
    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    envelopes = await publish_organisations(js)
    sub = await js.pull_subscribe("kf.*.membership.>", durable="pull-test", stream="KF_MEMBERSHIP")
    try:
        started = time.monotonic()
        first = await pull(sub, 4, timeout=5.0)
        rest = await pull(sub, 100, timeout=5.0)  # fewer than asked: returned without waiting out the timeout
        assert time.monotonic() - started < 2.5
        assert [m.data for m in first + rest] == [e.to_json() for e in envelopes]
        for m in first + rest:
            await m.ack()

        started = time.monotonic()
        assert await pull(sub, 100, timeout=0.5) == []  # nothing: empty after the timeout, no status message
        assert time.monotonic() - started < 2.0

        async def later() -> None:
            await asyncio.sleep(0.3)
            for e in envelopes[:3]:
                await js.publish("kf.ostfold.membership.organisation.registered", e.to_json(),
                                 headers={"Nats-Msg-Id": str(uuid.uuid4())})
        task = asyncio.create_task(later())
        started = time.monotonic()
        got = await pull(sub, 100, timeout=5.0)
        assert got and time.monotonic() - started < 2.5, "returned at the first new message, not at the timeout"
        while len(got) < 3:
            got += await pull(sub, 100, timeout=1.0)
        await task
        assert [m.data for m in got] == [e.to_json() for e in envelopes[:3]]
        for m in got:
            await m.ack()
    finally:
        await conn.close()


async def test_a_stopping_consumer_gives_back_what_its_subscription_still_holds(nats_server, tmp_path):
    # A waiting pull request goes on delivering after `pull` returned with its first message; a consumer that ends
    # must give those messages back at once (the durable's other consumers get them now, not after the ack wait).
    conn = await nats.connect(nats_server.url)
    js = conn.jetstream()
    await ensure_stream(js, "membership")
    consumer = membership_consumer(Database(f"sqlite:///{tmp_path / 'unused.db'}"), conn, lambda *_: None)
    sub = await js.pull_subscribe(consumer.filter, durable=consumer.durable, stream=consumer.stream,
                                  config=consumer.consumer_config())
    try:
        waiting = asyncio.create_task(pull(sub, 10, timeout=5.0))
        await asyncio.sleep(0.2)
        envelopes = await publish_organisations(js)  # the first returns the pull; the rest follow into the queue
        first = await waiting
        await asyncio.to_thread(wait_until, lambda: sub.pending_msgs + len(first) >= EVENTS, timeout=10,
                                what="the rest delivered to the open request")
        for m in first:
            await m.ack()
        await consumer._hand_back(sub)  # noqa: SLF001 - what `run` does as it ends, without a linger
        assert sub.pending_msgs == 0
        # Another consumer of the durable gets them now: without the naks they would come back after the 60 s ack wait.
        other = await js.pull_subscribe(consumer.filter, durable=consumer.durable, stream=consumer.stream)
        again = await pull(other, EVENTS, timeout=2.0)
        assert [m.data for m in first + again] == [e.to_json() for e in envelopes]
    finally:
        await conn.close()


def test_a_writer_in_another_process_waits_for_the_lock_file_until_the_holder_lets_go(tmp_path):
    # Metrics helpers write the service's SQLite file from other processes; they take turns on `<file>.writer`
    # instead of polling SQLite's busy handler, so a batch's transaction never meets another process's.
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    other = textwrap.dedent("""
        import sys, time
        from kf.runtime.consumer import writer_file_lock
        from kf.runtime.db import make_engine
        engine = make_engine(sys.argv[1])
        print("waiting", flush=True)
        with writer_file_lock(engine):
            print("acquired", time.time(), flush=True)
    """)
    engine = make_engine(url)
    try:
        with writer_file_lock(engine):
            proc = subprocess.Popen([sys.executable, "-c", other, url], stdout=subprocess.PIPE, text=True)
            assert proc.stdout.readline() == "waiting\n"
            time.sleep(0.5)
            assert proc.poll() is None, "the other process went ahead while the lock was held"
            released = time.time()
        out, _ = proc.communicate(timeout=30)
        word, acquired = out.split()
        assert word == "acquired" and float(acquired) >= released
        assert proc.returncode == 0
    finally:
        engine.dispose()


async def test_a_batch_acknowledged_in_one_write_is_not_delivered_again(nats_server):
    from nats.js.api import AckPolicy, ConsumerConfig

    from kf.runtime.consumer import ack_all
    conn = await nats.connect(nats_server.url)
    try:
        js = conn.jetstream()
        await publish_organisations(js)
        config = ConsumerConfig(durable_name="acks", ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0)
        sub = await js.pull_subscribe("kf.*.membership.>", durable="acks", stream="KF_MEMBERSHIP", config=config)
        msgs = await pull(sub, 6, 1.0)
        assert len(msgs) == 6
        await ack_all(msgs)
        await asyncio.sleep(1.5)  # past the ack wait: what was not acknowledged would come again
        info = await sub.consumer_info()
        assert (info.ack_floor.stream_seq, info.num_ack_pending) == (6, 0)
        again = await pull(sub, EVENTS, 1.0)
        assert [m.metadata.sequence.stream for m in again] == list(range(7, EVENTS + 1))
    finally:
        await conn.close()


async def test_an_event_the_database_cannot_store_is_dead_lettered_and_the_rest_applied(nats_server, tmp_path):
    """A value out of its column's range fails the same way at every redelivery: once, such a batch came back for
    ever and blocked the stream. The batch is applied again event by event; the one that fails is parked."""
    from sqlalchemy.exc import DataError

    from kf.contracts.subjects import DEAD_LETTER_STREAM
    from kf.testing.streams import read_stream
    url = f"sqlite:///{tmp_path / 'unstorable.db'}"
    migrate("membership", url)
    stored: list[str] = []

    def handler(_session, items, _info: BatchInfo) -> None:
        for env, event in items:
            if event.organisation_id == "org-3":  # as PostgreSQL answers a string too long for its column
                raise DataError("INSERT INTO orgs ...", {}, ValueError("value too long for type character varying(64)"))
        stored.extend(event.organisation_id for _, event in items)

    conn = await nats.connect(nats_server.url)
    envelopes = await publish_organisations(conn.jetstream())
    db = Database(url)
    consumer = membership_consumer(db, conn, handler, batch_size=4, inbox=False)
    try:
        async with running(consumer):
            await asyncio.to_thread(wait_until, lambda: len(stored) == EVENTS - 1, timeout=20, what="the others applied")
            parked = await asyncio.to_thread(wait_until, lambda: read_stream(nats_server.url, DEAD_LETTER_STREAM),
                                             timeout=20, what="the unstorable event parked")
        assert sorted(stored) == sorted(f"org-{i}" for i in range(EVENTS) if i != 3)
        assert [json.loads(m.data)["id"] for m in parked] == [envelopes[3].id]
        assert "not storable by metrics-membership: value too long" in parked[0].headers["Kf-Reason"]
    finally:
        await conn.close()
        db.dispose()
