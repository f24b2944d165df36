"""docs/operations.md section 6: back up the databases, then the streams without their consumers; after a restore,
delete the durable consumers before the services start. A consumer's position saved with the streams is later than
the database dump it writes to, so the events applied between the two would never be delivered again; a consumer
created anew delivers its stream from the start and the inbox skips what the restored database already holds."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, insert, select

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.contracts.subjects import stream_name
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream
from kf.runtime.consumer import EventConsumer
from kf.runtime.db import Database
from kf.runtime.telemetry import ServiceMetrics
from kf.testing.fixtures import migrate
from tests.deploy.test_nats_permissions import _account, _connect

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
SECTION = GUIDE[GUIDE.index("## 6. Backup and restore"):GUIDE.index("## 7. ")]


def test_the_guide_backs_up_no_consumer_and_deletes_every_durable_before_the_services_start(natsconfig):
    backups = [line for line in SECTION.splitlines() if " stream backup " in line]
    assert backups and all("--no-consumers" in line for line in backups)
    # Every durable consumer a service's NATS user is granted (= the ones the services create, test_nats_permissions)
    # is deleted after the streams are restored, before the replay and before the services come back.
    deleted = set(re.findall(r"\b(KF_[A-Z]+)/([a-z0-9-]+)", SECTION))
    assert deleted == {pair for service in natsconfig.READS for pair in natsconfig.durables(service)}
    order = [SECTION.index(step) for step in ("stream restore", "consumer rm -f", "overlays/ostfold/replay-metrics",
                                              "kubectl apply -k deploy/k8s/overlays/ostfold    #")]
    assert order == sorted(order)
    assert "scale deployment --all --replicas=0" in SECTION.split("stream restore")[0]


async def test_a_durable_deleted_after_a_restore_delivers_what_the_restored_database_lacks(
        natsconfig, nats_passwords, secured_nats, tmp_path):
    ostfold = _account(natsconfig, "OSTFOLD")
    stream = stream_name("membership")
    live, dump = tmp_path / "events.db", tmp_path / "events.dump.db"
    migrate("events", f"sqlite:///{live}")
    seen = Table("seen_organisations", MetaData(), Column("organisation_id", String(64), primary_key=True))
    handlers = {mev.OrganisationRegistered:
                lambda s, env, e: s.execute(insert(seen).values(organisation_id=e.organisation_id))}
    db = Database(f"sqlite:///{live}")
    seen.create(db.engine)

    admin = await _connect(secured_nats, ostfold.admin_user, nats_passwords[ostfold.admin_password_var])
    membership = await _connect(secured_nats, ostfold.user("membership"),
                                nats_passwords[ostfold.password_var("membership")])
    events = await _connect(secured_nats, ostfold.user("events"), nats_passwords[ostfold.password_var("events")])
    metrics = ServiceMetrics("events")
    try:
        mjs, ejs = membership.jetstream(), events.jetstream()
        await ensure_stream(mjs, "membership")
        await ensure_dead_letter_stream(ejs)

        async def publish(org: str) -> None:
            event = mev.OrganisationRegistered(organisation_id=org, name=org, org_number="974760673",
                                               sector=mev.Sector.state_agency)
            await mjs.publish(event.subject("ostfold"), wrap(event, region="ostfold", subject=org).to_json(), timeout=5)

        def rows(database: Database) -> set[str]:
            with database.engine.connect() as conn:
                return set(conn.execute(select(seen.c.organisation_id)).scalars())

        async def consume(database: Database, want: set[str]) -> None:
            stop = asyncio.Event()
            consumer = EventConsumer(db=database, owner="events", name="directory", source_service="membership",
                                     handlers=handlers, js=lambda: ejs, metrics=metrics, region="ostfold")
            task = asyncio.create_task(consumer.run(stop))
            try:
                for _ in range(100):
                    if rows(database) == want:
                        info = await ejs.consumer_info(stream, consumer.durable)
                        if info.num_ack_pending == 0 and info.num_pending == 0:
                            break
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=10)
            assert rows(database) == want

        await publish("org-1")
        await consume(db, {"org-1"})
        source, target = sqlite3.connect(live), sqlite3.connect(dump)  # 1. the database dump
        source.backup(target)
        source.close()
        target.close()
        await publish("org-2")  # 2. applied after the dump, before the stream backup
        await consume(db, {"org-1", "org-2"})
        db.dispose()

        # 3. Restore: the database as dumped; the durable, had it been saved with the stream, would stand past org-2.
        restored = Database(f"sqlite:///{dump}")
        assert rows(restored) == {"org-1"}
        assert (await ejs.consumer_info(stream, "events-directory")).ack_floor.stream_seq == 2
        # 4. `nats consumer rm -f KF_MEMBERSHIP events-directory` as the guide's admin user, then the service starts.
        assert await admin.jetstream().delete_consumer(stream, "events-directory")
        await consume(restored, {"org-1", "org-2"})
        # org-1 came again and was recognised by its id; org-2 was applied once more, now to the restored database.
        assert metrics.registry.get_sample_value("kf_events_duplicate_total", {"consumer": "events-directory"}) == 1
        restored.dispose()
    finally:
        for conn in (admin, membership, events):
            await conn.close()
