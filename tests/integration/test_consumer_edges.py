"""Edges of the kit's consumer against a real nats-server: a message too large to be dead-lettered with its body is
parked without it and the connection stays up; an old event version reaches the handler of the version it upcasts
to; a durable consumer whose filter changed (a metrics service that now serves several regions) is updated in place
and delivers the other regions' events, also those stored before the change, or says why not and what to do; a batch
that fails after a refused event leaves nothing applied twice; an event whose envelope does not match its subject, and
one a handler cannot compute on, are dead-lettered and the events after them applied."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, timedelta

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import text

from kf.contracts import catalog
from kf.contracts import membership as mev
from kf.contracts.measures import MeasureStarted
from kf.contracts.envelope import wrap
from kf.contracts.subjects import DEAD_LETTER_STREAM
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream
from kf.runtime.consumer import EventConsumer, RejectEvent
from kf.runtime.db import Database
from kf.runtime.telemetry import ServiceMetrics
from kf.testing.fixtures import migrate
from kf.testing.streams import read_stream_async, wait_until


def organisation(oid: str) -> mev.OrganisationRegistered:
    return mev.OrganisationRegistered(organisation_id=oid, name=oid, org_number="974760673",
                                      sector=mev.Sector.municipality)


async def publish(js, region: str, event: mev.OrganisationRegistered) -> None:
    envelope = wrap(event, region=region, subject=event.organisation_id)
    await js.publish(event.subject(region), envelope.to_json(), headers={"Nats-Msg-Id": envelope.id})


def consumer(db: Database, conn, handlers: dict, region: str | None = "ostfold") -> EventConsumer:
    return EventConsumer(db=db, owner="metrics", name="membership", source_service="membership", region=region,
                         handlers=handlers, js=conn.jetstream, metrics=ServiceMetrics("metrics"))


async def run_until(c: EventConsumer, done, what: str) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(c.run(stop))
    try:
        await asyncio.to_thread(wait_until, done, timeout=20, what=what)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@contextlib.asynccontextmanager
async def connected(nats_url: str, database_url: str):
    """A database with the kit's tables, and a connection to the server with the membership and dead-letter streams."""
    migrate("membership", database_url)
    conn = await nats.connect(nats_url)
    js = conn.jetstream()
    db = Database(database_url)
    try:
        await ensure_stream(js, "membership")
        await ensure_dead_letter_stream(js)
        yield db, conn, js
    finally:
        await conn.close()
        db.dispose()


async def test_a_message_too_large_to_dead_letter_with_its_body_is_parked_without_it_and_consumption_goes_on(
        nats_server, tmp_path):
    async with connected(nats_server.url, f"sqlite:///{tmp_path / 'big.db'}") as (db, conn, js):
        # Stored as published, but over the server's max_payload once the dead letter's headers are added to it.
        big = b"{" + b" " * (conn.max_payload - 150) + b"}"
        await js.publish("kf.ostfold.membership.organisation.registered", big, headers={"Nats-Msg-Id": "big-1"})
        await publish(js, "ostfold", organisation("org-after"))
        seen: list[str] = []
        c = consumer(db, conn, {mev.OrganisationRegistered: lambda _s, _e, x: seen.append(x.organisation_id)})
        await run_until(c, lambda: seen, "the event after the large one applied")
        await publish(js, "ostfold", organisation("org-later"))
        await run_until(c, lambda: "org-later" in seen, "a later event applied")
        assert seen == ["org-after", "org-later"]
        assert conn.is_connected and not conn.is_closed
        parked = await read_stream_async(nats_server.url, DEAD_LETTER_STREAM)
        assert len(parked) == 1 and parked[0].data == b""
        headers = parked[0].headers
        assert headers["Kf-Original-Stream"] == "KF_MEMBERSHIP" and headers["Kf-Stream-Seq"] == "1"
        assert headers["Kf-Original-Subject"] == "kf.ostfold.membership.organisation.registered"
        assert headers["Kf-Body-Omitted"] == str(len(big)) and "too large for a dead letter" in headers["Kf-Reason"]
        info = await js.consumer_info("KF_MEMBERSHIP", "metrics-membership")
        assert info.num_pending == 0 and info.num_ack_pending == 0


async def test_an_old_event_version_reaches_the_handler_of_the_version_it_upcasts_to(nats_server, tmp_path,
                                                                                     monkeypatch):
    # A v2 and its upcaster exist for this test only.
    monkeypatch.setattr(catalog, "_REGISTRY", dict(catalog._REGISTRY))  # noqa: SLF001
    monkeypatch.setattr(catalog, "_UPCASTERS", dict(catalog._UPCASTERS))  # noqa: SLF001

    class OrganisationRegisteredV2(mev.OrganisationRegistered):
        version = 2
        event = "registered"
        country: str

    catalog.register_upcaster(mev.OrganisationRegistered.type_name(), OrganisationRegisteredV2.type_name())(
        lambda data: {**data, "country": "NO"})

    async with connected(nats_server.url, f"sqlite:///{tmp_path / 'upcast.db'}") as (db, conn, js):
        await publish(js, "ostfold", organisation("org-v1"))
        received: list = []
        c = consumer(db, conn, {OrganisationRegisteredV2: lambda _s, _e, x: received.append(x)})
        await run_until(c, lambda: received, "the v1 event applied by the v2 handler")
        assert received == [OrganisationRegisteredV2(**organisation("org-v1").model_dump(), country="NO")]


async def test_a_consumer_restarted_for_all_regions_gets_the_other_regions_events(nats_server, tmp_path, caplog):
    seen: list[str] = []

    def handlers():
        return {mev.OrganisationRegistered: lambda _s, _e, x: seen.append(x.organisation_id)}

    async with connected(nats_server.url, f"sqlite:///{tmp_path / 'regions.db'}") as (db, conn, js):
        # One region served: the other region's event, stored between two of its own, is passed over.
        for region, oid in (("ostfold", "ost-1"), ("vestfold-telemark", "vt-1"), ("ostfold", "ost-2")):
            await publish(js, region, organisation(oid))
        await run_until(consumer(db, conn, handlers()), lambda: len(seen) == 2, "the one region's events")
        assert seen == ["ost-1", "ost-2"]

        # Restarted for every region (KF_REGIONS=a,b): the durable consumer gets the new filter.
        await publish(js, "vestfold-telemark", organisation("vt-2"))
        seen.clear()
        with caplog.at_level(logging.WARNING, logger="kf.consumer"):
            await run_until(consumer(db, conn, handlers(), region=None), lambda: len(seen) == 2,
                            "the other region's events")
        assert seen == ["vt-1", "vt-2"], "each applied once: the first region's are recognised as applied"
        info = await js.consumer_info("KF_MEMBERSHIP", "metrics-membership")
        assert info.config.filter_subject == "kf.*.membership.>"
        assert "'kf.ostfold.membership.>' -> 'kf.*.membership.>'" in caplog.text


async def test_a_consumer_the_server_will_not_update_is_reported_and_consumes_nothing(nats_server, tmp_path, caplog):
    async with connected(nats_server.url, f"sqlite:///{tmp_path / 'refused.db'}") as (db, conn, js):
        # Edited by hand to a list of filters, which the server does not let an update replace with a single filter.
        await js.add_consumer("KF_MEMBERSHIP", ConsumerConfig(
            name="metrics-membership", durable_name="metrics-membership", filter_subjects=["kf.ostfold.membership.>"],
            ack_policy=AckPolicy.EXPLICIT))
        await publish(js, "vestfold-telemark", organisation("vt-1"))
        seen: list[str] = []
        c = consumer(db, conn, {mev.OrganisationRegistered: lambda _s, _e, x: seen.append(x.organisation_id)},
                     region=None)
        with caplog.at_level(logging.ERROR, logger="kf.consumer"):
            await run_until(c, lambda: "refused" in caplog.text, "the refusal reported")
        assert "metrics-membership on KF_MEMBERSHIP has filter ['kf.ostfold.membership.>']" in caplog.text
        assert "needs 'kf.*.membership.>'" in caplog.text
        assert "nats consumer rm KF_MEMBERSHIP metrics-membership" in caplog.text
        assert seen == [] and not c.ready.is_set()


async def test_a_batch_that_fails_after_a_refused_event_leaves_nothing_applied_twice(nats_server, database_url):
    """A batch with a refused event is applied again event by event, each in a savepoint. When that pass fails later
    on (the database goes away), nothing of the batch may stay behind: on SQLite, pysqlite began no transaction before
    the first savepoint, whose release then committed the events before it without their inbox rows, so the
    redelivered batch applied them a second time."""
    failures = ["the database went away"]  # the third event fails once, as a lost connection would

    def handler(session, envelope, event) -> None:
        if event.name == "refused":
            raise RejectEvent("refused on purpose")
        if event.name == "flaky" and failures:
            raise RuntimeError(failures.pop())
        session.execute(text("INSERT INTO applications (event_id, org) VALUES (:e, :o)"),
                        {"e": envelope.id, "o": event.organisation_id})

    async with connected(nats_server.url, database_url) as (db, conn, js):
        with db.transaction() as s:
            s.execute(text("DROP TABLE IF EXISTS applications"))
            s.execute(text("CREATE TABLE applications (event_id VARCHAR(64), org VARCHAR(64))"))

        def applications() -> list[tuple[str, int]]:
            with db.transaction() as s:
                rows = s.execute(text("SELECT org, count(*) FROM applications GROUP BY org ORDER BY org"))
                return [tuple(r) for r in rows]

        for oid, name in (("org-a", "fine"), ("org-b", "refused"), ("org-c", "flaky")):
            await publish(js, "ostfold", organisation(oid).model_copy(update={"name": name}))
        await run_until(consumer(db, conn, {mev.OrganisationRegistered: handler}),
                        lambda: ("org-c", 1) in applications(), "the flaky event applied after its redelivery")
        assert not failures  # the batch did fail once
        assert applications() == [("org-a", 1), ("org-c", 1)]
        dead = await read_stream_async(nats_server.url, DEAD_LETTER_STREAM)
        assert [m.headers["Kf-Stream-Seq"] for m in dead] == ["2"]


async def test_an_event_whose_envelope_does_not_match_its_subject_is_dead_lettered_and_the_next_applied(nats_server,
                                                                                                       tmp_path):
    """The subject is what a producer's NATS permissions let it publish on (its own region's and service's); the
    envelope is what it writes. An event on one region's subject whose envelope named another region was applied to the
    envelope's region (the metrics service counted it among that region's members), and a type of another service
    on a service's subject passed for that service's event."""
    seen: list[tuple[str, str]] = []
    async with connected(nats_server.url, f"sqlite:///{tmp_path / 'origin.db'}") as (db, conn, js):
        spoofed = wrap(organisation("org-spoofed"), region="ostfold", subject="org-spoofed")
        await js.publish(mev.OrganisationRegistered.subject("vestfold-telemark"), spoofed.to_json(),
                         headers={"Nats-Msg-Id": spoofed.id})
        started = wrap(MeasureStarted(measure_id="m1", focus_area="inclusion", started_on=date(2021, 3, 1)),
                       region="ostfold", subject="m1")
        await js.publish("kf.ostfold.membership.measure.started", started.to_json(), headers={"Nats-Msg-Id": started.id})
        await publish(js, "vestfold-telemark", organisation("vt-good"))
        await publish(js, "ostfold", organisation("ost-good"))
        c = consumer(db, conn, {mev.OrganisationRegistered: lambda _s, e, x: seen.append((e.region, x.organisation_id)),
                                MeasureStarted: lambda *_: seen.append(("?", "measure"))}, region=None)
        await run_until(c, lambda: len(seen) == 2, "the events after the mismatched ones applied")
        assert seen == [("vestfold-telemark", "vt-good"), ("ostfold", "ost-good")]
        parked = await read_stream_async(nats_server.url, DEAD_LETTER_STREAM)
        assert [(m.headers["Kf-Original-Subject"], m.headers["Kf-Stream-Seq"], m.data) for m in parked] == [
            ("kf.vestfold-telemark.membership.organisation.registered", "1", spoofed.to_json()),
            ("kf.ostfold.membership.measure.started", "2", started.to_json())]
        assert parked[0].headers["Kf-Reason"] == (
            "region: the envelope names region 'ostfold', but the event came on subject "
            "'kf.vestfold-telemark.membership.organisation.registered' of region 'vestfold-telemark'")
        assert parked[1].headers["Kf-Reason"].startswith(
            "type: 'no.kompetanseforum.measure.started.v1' is an event of the measures service")
        info = await js.consumer_info("KF_MEMBERSHIP", "metrics-membership")
        assert info.num_pending == 0 and info.num_ack_pending == 0


def _compute(event: mev.OrganisationRegistered) -> str:
    """What a handler derives from an event; it cannot for two of them (as the metrics service once could not add a
    year to an attendance on 9999-12-31)."""
    if event.name == "overflow":
        return str(date(9999, 12, 31) + timedelta(days=365))
    if event.name == "invalid":
        return str(date.fromisoformat("2021-02-30"))
    return event.organisation_id


@pytest.mark.parametrize("where", ["handler", "batch_handler", "batch_prepare"])
async def test_an_event_a_handler_cannot_compute_on_is_dead_lettered_and_the_stream_goes_on(nats_server, tmp_path,
                                                                                           where):
    """An OverflowError or a ValueError raised for one event was taken for a passing fault: the batch was redelivered
    for ever and every later event of the stream waited. Now the batch is applied again event by event and the events
    that fail go to the dead-letter stream, whether a per-type handler, a batch handler or its preparation fails."""
    def insert_rows(session, orgs: list[str]) -> None:
        for org in orgs:
            session.execute(text("INSERT INTO applications (org) VALUES (:o)"), {"o": org})

    async with connected(nats_server.url, f"sqlite:///{tmp_path / 'compute.db'}") as (db, conn, js):
        with db.transaction() as s:
            s.execute(text("CREATE TABLE applications (org VARCHAR(64))"))

        def applications() -> list[str]:
            with db.transaction() as s:
                return list(s.execute(text("SELECT org FROM applications ORDER BY rowid")).scalars())

        for oid, name in (("org-a", "fine"), ("org-overflow", "overflow"), ("org-invalid", "invalid"), ("org-b", "fine")):
            await publish(js, "ostfold", organisation(oid).model_copy(update={"name": name}))
        if where == "handler":
            c = consumer(db, conn, {mev.OrganisationRegistered: lambda s, _e, x: insert_rows(s, [_compute(x)])})
        else:
            def prepare(items):
                return [_compute(x) for _, x in items] if where == "batch_prepare" else [x for _, x in items]

            def apply(session, items, _info, prepared=None) -> None:
                insert_rows(session, [_compute(x) for _, x in items] if prepared is None else
                            [p if isinstance(p, str) else _compute(p) for p in prepared])

            c = EventConsumer(db=db, owner="metrics", name="membership", source_service="membership", region="ostfold",
                              batch_handler=apply, batch_types=[mev.OrganisationRegistered], batch_prepare=prepare,
                              js=conn.jetstream, metrics=ServiceMetrics("metrics"))
        await run_until(c, lambda: "org-b" in applications(), "the event after the failing ones applied")
        assert applications() == ["org-a", "org-b"]
        parked = await read_stream_async(nats_server.url, DEAD_LETTER_STREAM)
        assert [(m.headers["Kf-Stream-Seq"], m.headers["Kf-Reason"]) for m in parked] == [
            ("2", "not applicable by metrics-membership: OverflowError: date value out of range"),
            ("3", "not applicable by metrics-membership: ValueError: day is out of range for month")]
        info = await js.consumer_info("KF_MEMBERSHIP", "metrics-membership")
        assert info.num_pending == 0 and info.num_ack_pending == 0
        # The stream goes on: a later event is applied too.
        await publish(js, "ostfold", organisation("org-later"))
        await run_until(c, lambda: "org-later" in applications(), "a later event applied")
        assert applications() == ["org-a", "org-b", "org-later"]


async def test_a_consumer_waiting_for_a_stream_says_so_once_and_starts_as_soon_as_it_comes(nats_server, tmp_path, caplog):
    """A region that runs a consumer without the producing service (vestfold-telemark's metrics without membership)
    logged "waiting for stream" every second for ever; once is enough, and the stream is still found at once."""
    migrate("membership", f"sqlite:///{tmp_path / 'wait.db'}")
    conn = await nats.connect(nats_server.url)
    db = Database(f"sqlite:///{tmp_path / 'wait.db'}")
    try:
        seen: list[str] = []
        c = consumer(db, conn, {mev.OrganisationRegistered: lambda _s, _e, x: seen.append(x.organisation_id)})
        stop = asyncio.Event()
        with caplog.at_level(logging.INFO, logger="kf.consumer"):
            task = asyncio.create_task(c.run(stop))
            await asyncio.sleep(3.5)  # three or four checks without a stream
            waiting = [r for r in caplog.records if r.getMessage().startswith("waiting for stream")]
            assert len(waiting) == 1, [r.getMessage() for r in waiting]
            js = conn.jetstream()
            await ensure_stream(js, "membership")
            await ensure_dead_letter_stream(js)
            await publish(js, "ostfold", organisation("org-first"))
            await asyncio.to_thread(wait_until, lambda: seen, timeout=5, what="the first event applied")
        stop.set()
        await asyncio.wait_for(task, 15)
        assert seen == ["org-first"]
        assert [r.getMessage() for r in caplog.records if r.getMessage() == "stream found"] == ["stream found"]
    finally:
        await conn.close()
        db.dispose()
