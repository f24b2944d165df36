"""NATS accounts and subject permissions (deploy/nats): the config the cluster runs, enforced by a real nats-server."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Callable

import nats
import pytest
import yaml
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import NotFoundError

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.contracts.subjects import DEAD_LETTER_STREAM, SERVICES, inbox_prefix, stream_name
from kf.embedded.natsserver import nats_server_binary
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream
from kf.testing.fixtures import auth
from kf.testing.streams import read_stream, wait_until


def _account(natsconfig, name):
    return next(a for a in natsconfig.ACCOUNTS if a.name == name)


async def _connect(server, user: str, password: str, errors: list[str] | None = None, *, inbox: str | None = None):
    """As the user; a service's user with its service's inbox prefix (`ACCOUNT-SERVICE`), as the kit connects."""
    async def on_error(exc: Exception) -> None:
        if errors is not None:
            errors.append(str(exc))

    service = next((s for s in SERVICES if user.endswith(f"-{s}")), None)
    prefix = inbox or (inbox_prefix(service) if service else "_INBOX")
    return await nats.connect(server.url, user=user, password=password, error_cb=on_error, inbox_prefix=prefix,
                              max_reconnect_attempts=0, connect_timeout=2)


def _seen_organisations(path):
    """A consumer's database: the kit's tables (any service's migrations bring processed_events) and a table of the
    organisations its handler saw."""
    from sqlalchemy import Column, MetaData, String, Table

    from kf.runtime.db import Database
    from kf.testing.fixtures import migrate

    url = f"sqlite:///{path}"
    migrate("membership", url)
    db = Database(url)
    seen = Table("seen_organisations", MetaData(), Column("organisation_id", String(64), primary_key=True))
    seen.create(db.engine)
    return db, seen


async def _publish_refused(js, subject: str) -> bool:
    try:
        await js.publish(subject, b"{}", timeout=0.4)
    except (NatsTimeoutError, TimeoutError):
        return True
    return False


def test_generated_nats_files_are_current(natsconfig):
    for path, text in natsconfig.generated().items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is out of date: run python deploy/nats/natsconfig.py"


def test_server_config_passes_nats_server_check_and_needs_every_password(natsconfig, nats_passwords, monkeypatch):
    binary = nats_server_binary()
    ok = subprocess.run([binary, "-t", "-c", str(natsconfig.CONF_FILE)], capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "is valid" in ok.stdout + ok.stderr

    monkeypatch.delenv(natsconfig.password_vars()[0])
    missing = subprocess.run([binary, "-t", "-c", str(natsconfig.CONF_FILE)], capture_output=True, text=True, timeout=30)
    assert missing.returncode != 0
    assert natsconfig.password_vars()[0] in missing.stdout + missing.stderr


def test_helm_values_merge_into_a_config_nats_server_accepts(natsconfig, nats_passwords, tmp_path):
    values = yaml.safe_load(natsconfig.VALUES_FILE.read_text(encoding="utf-8"))
    assert values["config"]["cluster"] == {"enabled": True, "replicas": 3}
    # The chart's map form (topology key -> constraint): one pod per node, or a node's loss takes the R3 quorum.
    assert values["podTemplate"]["topologySpreadConstraints"] == {
        "kubernetes.io/hostname": {"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}}
    assert values["config"]["jetstream"]["enabled"] and values["config"]["jetstream"]["fileStore"]["enabled"]
    # Every password is read from the Secret by reference, never written into the values.
    env = values["container"]["env"]
    assert set(env) == set(natsconfig.password_vars())
    assert all(set(v) == {"valueFrom"} and "secretKeyRef" in v["valueFrom"] for v in env.values())

    # The chart writes `<< $VAR >>` unquoted into nats.conf; do the same and let nats-server judge the result.
    merged = values["config"]["merge"]
    text = natsconfig._conf_value(merged, 0)
    text = re.sub(r'"<< (\$[A-Z0-9_]+) >>"', r"\1", text)
    assert "<<" not in text
    conf = tmp_path / "nats.conf"
    conf.write_text("jetstream: enabled\n" + text.strip()[1:-1] + "\n", encoding="utf-8")
    checked = subprocess.run([nats_server_binary(), "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def test_each_service_publishes_only_its_own_events(natsconfig, nats_passwords, secured_nats):
    ostfold = _account(natsconfig, "OSTFOLD")
    pw = lambda service: nats_passwords[ostfold.password_var(service)]  # noqa: E731
    admin = await _connect(secured_nats, ostfold.admin_user, nats_passwords[ostfold.admin_password_var])
    membership_errors: list[str] = []
    membership = await _connect(secured_nats, ostfold.user("membership"), pw("membership"), membership_errors)
    metrics_errors: list[str] = []
    metrics = await _connect(secured_nats, ostfold.user("metrics"), pw("metrics"), metrics_errors)
    try:
        admin_js = admin.jetstream()
        for service in ("measures", "events"):
            await ensure_stream(admin_js, service)  # as their own services would at start-up

        # A service provisions its own stream and the dead-letter stream itself ...
        mjs = membership.jetstream()
        await ensure_stream(mjs, "membership")
        await ensure_dead_letter_stream(mjs)
        # ... and publishes its own events,
        ack = await mjs.publish("kf.ostfold.membership.x.y", b"{}", timeout=5)
        assert ack.stream == stream_name("membership") and ack.seq == 1
        # but neither another service's events nor another region's.
        assert await _publish_refused(mjs, "kf.ostfold.measures.x.y")
        assert await _publish_refused(mjs, "kf.vestfold-telemark.membership.x.y")
        # It cannot take over another service's stream either.
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await asyncio.wait_for(ensure_stream(mjs, "measures"), timeout=1)

        metrics_js = metrics.jetstream()
        await ensure_stream(metrics_js, "metrics")
        assert (await metrics_js.publish("kf.ostfold.metrics.goal.set", b"{}", timeout=5)).stream == "KF_METRICS"
        for subject in ("kf.ostfold.membership.member.joined", "kf.ostfold.events.gathering.held",
                        "kf.ostfold.measures.measure.adopted"):
            assert await _publish_refused(metrics_js, subject), subject

        assert (await admin_js.stream_info("KF_MEASURES")).state.messages == 0
        assert (await admin_js.stream_info("KF_EVENTS")).state.messages == 0
        assert (await admin_js.stream_info("KF_MEMBERSHIP")).state.messages == 1
        # The server tells the client why (nats-py lower-cases the message).
        assert 'permissions violation for publish to "kf.ostfold.measures.x.y"' in [e.lower().removeprefix('nats: ') for e in membership_errors]
        assert 'permissions violation for publish to "kf.ostfold.membership.member.joined"' in [e.lower().removeprefix('nats: ') for e in metrics_errors]
    finally:
        for conn in (admin, membership, metrics):
            await conn.close()


async def test_regions_in_separate_accounts_share_no_streams(natsconfig, nats_passwords, secured_nats):
    ostfold, vt = _account(natsconfig, "OSTFOLD"), _account(natsconfig, "VESTFOLD_TELEMARK")
    os_measures = await _connect(secured_nats, ostfold.user("measures"), nats_passwords[ostfold.password_var("measures")])
    vt_measures = await _connect(secured_nats, vt.user("measures"), nats_passwords[vt.password_var("measures")])
    try:
        await ensure_stream(os_measures.jetstream(), "measures")
        await os_measures.jetstream().publish("kf.ostfold.measures.measure.adopted", b"{}", timeout=5)
        vjs = vt_measures.jetstream()
        with pytest.raises(NotFoundError):
            await vjs.stream_info("KF_MEASURES")  # Østfold's stream is invisible in Vestfold-Telemark's account
        await ensure_stream(vjs, "measures")
        await vjs.publish("kf.vestfold-telemark.measures.measure.adopted", b"{}", timeout=5)
        assert (await vjs.stream_info("KF_MEASURES")).state.messages == 1
        assert await _publish_refused(vjs, "kf.ostfold.measures.measure.adopted")
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(secured_nats.url, user=vt.user("measures"), password="not-the-password",
                               max_reconnect_attempts=0, allow_reconnect=False, connect_timeout=2)
    finally:
        await os_measures.close()
        await vt_measures.close()


def test_the_membership_service_runs_under_its_nats_user(natsconfig, nats_passwords, secured_nats, service_app):
    """The real service, with only its own permissions, provisions its streams and publishes through the outbox."""
    ostfold = _account(natsconfig, "OSTFOLD")
    client = service_app("membership", nats_url=secured_nats.url, nats_user=ostfold.user("membership"),
                         nats_password=nats_passwords[ostfold.password_var("membership")])
    created = client.post("/organisations", json={"name": "Høgskolen i Østfold", "org_number": "974 760 673",
                                                  "sector": "university_college"}, headers=auth())
    assert created.status_code == 201
    admin = {"user": ostfold.admin_user, "password": nats_passwords[ostfold.admin_password_var]}
    wait_until(lambda: len(read_stream(secured_nats.url, stream_name("membership"), **admin)) == 1,
               what="the organisation event in KF_MEMBERSHIP")
    stored = read_stream(secured_nats.url, stream_name("membership"), **admin)[0]
    assert stored.subject == "kf.ostfold.membership.organisation.registered"
    assert stored.event["data"]["organisation_id"] == created.json()["id"]
    assert read_stream(secured_nats.url, DEAD_LETTER_STREAM, **admin) == []
    assert client.get("/readyz").json()["ready"] is True


async def test_a_consumer_reads_and_dead_letters_under_its_nats_user(natsconfig, nats_passwords, secured_nats, tmp_path):
    """The events service's user can run the kit's durable consumer on the membership stream, ack and dead-letter."""
    from sqlalchemy import insert, select

    from kf.runtime.consumer import EventConsumer
    from kf.runtime.telemetry import ServiceMetrics

    ostfold = _account(natsconfig, "OSTFOLD")
    db, seen = _seen_organisations(tmp_path / "events.db")

    membership = await _connect(secured_nats, ostfold.user("membership"), nats_passwords[ostfold.password_var("membership")])
    events_conn = await _connect(secured_nats, ostfold.user("events"), nats_passwords[ostfold.password_var("events")])
    stop = asyncio.Event()
    try:
        mjs = membership.jetstream()
        await ensure_stream(mjs, "membership")
        event = mev.OrganisationRegistered(organisation_id="org-1", name="NAV Østfold", org_number="974760673",
                                           sector=mev.Sector.state_agency)
        envelope = wrap(event, region="ostfold", subject="org-1")
        await mjs.publish(event.subject("ostfold"), envelope.to_json(), timeout=5)
        await mjs.publish("kf.ostfold.membership.organisation.registered", b"not a cloud event", timeout=5)

        ejs = events_conn.jetstream()
        await ensure_dead_letter_stream(ejs)
        consumer = EventConsumer(
            db=db, owner="events", name="directory", source_service="membership",
            handlers={mev.OrganisationRegistered: lambda s, env, e: s.execute(insert(seen).values(organisation_id=e.organisation_id))},
            js=lambda: ejs, metrics=ServiceMetrics("events"))
        task = asyncio.create_task(consumer.run(stop))

        async def applied() -> bool:
            dlq = await ejs.stream_info(DEAD_LETTER_STREAM)
            with db.engine.connect() as conn:
                rows = conn.execute(select(seen.c.organisation_id)).scalars().all()
            return rows == ["org-1"] and dlq.state.messages == 1

        for _ in range(100):
            if await applied():
                break
            await asyncio.sleep(0.1)
        assert await applied()
        info = await ejs.consumer_info(stream_name("membership"), "events-directory")
        assert info.num_ack_pending == 0 and info.num_pending == 0
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    finally:
        stop.set()
        await membership.close()
        await events_conn.close()
        db.dispose()


def test_permissions_and_the_guide_cover_every_consumer_the_services_create(natsconfig, tmp_path):
    """Each service's NATS user is granted exactly the durable consumers its service creates (no more, so no grant
    outlives its consumer), on the streams they read, and docs/operations.md names them."""
    from kf.registry import available_services
    from kf.testing.fixtures import service_settings

    guide = (natsconfig.HERE.parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    found = 0
    for spec in available_services():
        settings = service_settings(spec.name, database_url=f"sqlite:///{tmp_path / spec.name}.db",
                                    nats_url="nats://127.0.0.1:1")
        runtime = spec.create_app()(settings).state.runtime
        try:
            created = {(consumer.stream, consumer.durable) for consumer in runtime.consumers}
            assert created == set(natsconfig.durables(spec.name)), spec.name
            for consumer in runtime.consumers:
                found += 1
                assert consumer.source_service in natsconfig.READS[spec.name], consumer.durable
                assert f"`{consumer.durable}`" in guide, f"docs/operations.md does not name {consumer.durable}"
        finally:
            runtime.db.dispose()
    assert found


def _refused(errors: list[str], subject: str) -> bool:
    """Whether the server told this connection that publishing to `subject` was refused (nats-py lower-cases it)."""
    return f'permissions violation for publish to "{subject.lower()}"' in [e.lower().removeprefix("nats: ") for e in errors]


async def test_a_consumer_whose_filter_changed_is_reset_to_the_streams_start_under_its_nats_user(
        natsconfig, nats_passwords, secured_nats, tmp_path):
    """docs/operations.md 4.2: a metrics service that serves one region, then several (`KF_REGIONS`), has its durable
    consumer updated to the wider filter and reset to the stream's start (`$JS.API.CONSUMER.RESET`), so the added
    region's events stored before the change are delivered too. Without the RESET grant the server refuses the reset
    and those events are never delivered."""
    from sqlalchemy import insert, select

    from kf.runtime.consumer import EventConsumer
    from kf.runtime.telemetry import ServiceMetrics

    ostfold = _account(natsconfig, "OSTFOLD")
    db, seen = _seen_organisations(tmp_path / "metrics.db")
    handlers = {mev.OrganisationRegistered:
                lambda s, env, e: s.execute(insert(seen).values(organisation_id=e.organisation_id))}

    def rows() -> set[str]:
        with db.engine.connect() as conn:
            return set(conn.execute(select(seen.c.organisation_id)).scalars())

    admin = await _connect(secured_nats, ostfold.admin_user, nats_passwords[ostfold.admin_password_var])
    metrics_errors: list[str] = []
    metrics = await _connect(secured_nats, ostfold.user("metrics"), nats_passwords[ostfold.password_var("metrics")],
                             metrics_errors)
    try:
        admin_js, xjs = admin.jetstream(), metrics.jetstream()
        await ensure_stream(admin_js, "membership")
        await ensure_dead_letter_stream(xjs)
        # Another region's event first (as in one account holding two regions; the admin user may publish it), then
        # the served region's: the one-region consumer passes over the first and acknowledges past it.
        for region, org in (("vestfold-telemark", "vt-1"), ("ostfold", "os-1")):
            event = mev.OrganisationRegistered(organisation_id=org, name=org, org_number="974760673",
                                               sector=mev.Sector.state_agency)
            await admin_js.publish(event.subject(region), wrap(event, region=region, subject=org).to_json(), timeout=5)

        async def consume(region: str | None, until: Callable[[], bool]) -> None:
            stop = asyncio.Event()
            consumer = EventConsumer(db=db, owner="metrics", name="membership", source_service="membership",
                                     handlers=handlers, js=lambda: xjs, metrics=ServiceMetrics("metrics"), region=region)
            task = asyncio.create_task(consumer.run(stop))
            try:
                for _ in range(100):
                    if until():
                        break
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=10)

        await consume("ostfold", lambda: rows() == {"os-1"})  # KF_REGIONS unset: the one region's filter
        info = await xjs.consumer_info(stream_name("membership"), "metrics-membership")
        assert rows() == {"os-1"} and info.ack_floor.stream_seq == 2

        await consume(None, lambda: rows() == {"os-1", "vt-1"})  # KF_REGIONS=ostfold,vestfold-telemark
        info = await xjs.consumer_info(stream_name("membership"), "metrics-membership")
        assert info.config.filter_subject == "kf.*.membership.>"
        assert not _refused(metrics_errors, "$JS.API.CONSUMER.RESET.KF_MEMBERSHIP.metrics-membership"), metrics_errors
        assert rows() == {"os-1", "vt-1"}, "the added region's earlier event was not delivered: reset refused?"
    finally:
        await admin.close()
        await metrics.close()
        db.dispose()


async def test_a_service_manages_only_its_own_durable_consumers(natsconfig, nats_passwords, secured_nats):
    """Consumer grants name each service's own durables: on a stream two services read (KF_MEMBERSHIP: events and
    metrics), the events user can neither inspect, rewrite, reset, delete, pull from nor acknowledge on the metrics
    service's `metrics-membership`, nor create an ephemeral consumer (whose legacy API takes any name in its body);
    on its own `events-directory` it can do each of them, and so can the metrics user on its own (the replay deletes
    and recreates it)."""
    from nats.js.api import AckPolicy, ConsumerConfig

    ostfold = _account(natsconfig, "OSTFOLD")
    stream = stream_name("membership")
    admin = await _connect(secured_nats, ostfold.admin_user, nats_passwords[ostfold.admin_password_var])
    events_errors: list[str] = []
    events = await _connect(secured_nats, ostfold.user("events"), nats_passwords[ostfold.password_var("events")],
                            events_errors)
    metrics = await _connect(secured_nats, ostfold.user("metrics"), nats_passwords[ostfold.password_var("metrics")])
    try:
        admin_js, ejs, xjs = admin.jetstream(), events.jetstream(), metrics.jetstream()
        await ensure_stream(admin_js, "membership")
        await admin_js.publish("kf.ostfold.membership.organisation.registered", b"{}", timeout=5)

        def config(durable: str, region: str = "ostfold") -> ConsumerConfig:
            return ConsumerConfig(durable_name=durable, filter_subject=f"kf.{region}.membership.>",
                                  ack_policy=AckPolicy.EXPLICIT)

        # Each user creates, inspects, updates in place, resets and deletes its own durable: the kit's and the replay's
        # calls, by their nats-py subjects.
        for js, durable in ((ejs, "events-directory"), (xjs, "metrics-membership")):
            await js.add_consumer(stream, config(durable))  # DURABLE.CREATE
            await js.add_consumer(stream, config=config(durable, "*").evolve(name=durable))  # CREATE.STREAM.NAME.FILTER
            assert (await js.consumer_info(stream, durable)).config.filter_subject == "kf.*.membership.>"
            await js.reset_consumer(stream, durable, seq=1)
            assert await js.delete_consumer(stream, durable)
            await js.add_consumer(stream, config(durable))
        # ... and pulls and acknowledges on it.
        sub = await ejs.pull_subscribe("kf.ostfold.membership.>", durable="events-directory", stream=stream)
        [msg] = await sub.fetch(1, timeout=5)
        await msg.ack_sync(timeout=5)
        await sub.unsubscribe()

        # The other service's durable on the same stream is out of reach: every call times out, refused by the server.
        foreign = "metrics-membership"
        take_over = config(foreign, "nowhere")
        attempts = {
            f"$JS.API.CONSUMER.INFO.{stream}.{foreign}": lambda: ejs.consumer_info(stream, foreign),
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{foreign}": lambda: ejs.add_consumer(stream, take_over),
            f"$JS.API.CONSUMER.CREATE.{stream}.{foreign}.kf.nowhere.membership.>":
                lambda: ejs.add_consumer(stream, config=take_over.evolve(name=foreign)),
            f"$JS.API.CONSUMER.RESET.{stream}.{foreign}": lambda: ejs.reset_consumer(stream, foreign, seq=1),
            f"$JS.API.CONSUMER.DELETE.{stream}.{foreign}": lambda: ejs.delete_consumer(stream, foreign),
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{foreign}":
                lambda: events.request(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{foreign}", b'{"batch":1}'),
            # The legacy ephemeral API with a name in its body would rewrite the durable of that name.
            f"$JS.API.CONSUMER.CREATE.{stream}": lambda: events.request(
                f"$JS.API.CONSUMER.CREATE.{stream}",
                json.dumps({"stream_name": stream, "config": {"name": foreign, "ack_policy": "explicit",
                                                               "filter_subject": "kf.nowhere.membership.>"}}).encode()),
        }
        for subject, attempt in attempts.items():
            with pytest.raises((NatsTimeoutError, TimeoutError)):
                await asyncio.wait_for(attempt(), timeout=0.5)
            assert _refused(events_errors, subject), f"{subject}: {events_errors}"
        # An acknowledgement for the other durable's delivery is refused too (a core publish: no reply to wait for).
        ack = f"$JS.ACK.{stream}.{foreign}.1.1.1.0.0"
        await events.publish(ack, b"+ACK")
        await events.flush(timeout=2)
        for _ in range(20):
            if _refused(events_errors, ack):
                break
            await asyncio.sleep(0.05)
        assert _refused(events_errors, ack), events_errors

        info = await admin_js.consumer_info(stream, foreign)
        assert info.config.filter_subject == "kf.ostfold.membership.>" and info.num_pending == 1
        assert {c.name for c in await admin_js.consumers_info(stream)} == {"events-directory", "metrics-membership"}
    finally:
        for conn in (admin, events, metrics):
            await conn.close()



async def test_a_service_receives_replies_only_on_its_own_inbox(secured_nats, natsconfig, nats_passwords):
    """Each user may subscribe only to its service's inbox (`_INBOX.SERVICE.>`, the kit's inbox prefix): the events
    user cannot listen to the metrics service's JetStream answers and pulled messages, nor to every inbox, and a
    connection with another prefix gets no JetStream answer at all."""
    ostfold = _account(natsconfig, "OSTFOLD")
    password = nats_passwords[ostfold.password_var("events")]
    errors: list[str] = []
    events = await _connect(secured_nats, ostfold.user("events"), password, errors)
    try:
        try:  # its own inbox gets the answer (the stream need not exist: "not found" is an answer too)
            await events.jetstream(timeout=5).stream_info(stream_name("membership"))
        except NotFoundError:
            pass
        for subject in ("_INBOX.metrics.>", "_INBOX.>", ">"):
            await events.subscribe(subject)
        await events.flush(timeout=5)
        await asyncio.sleep(0.3)
        for subject in ("_INBOX.metrics.>", "_INBOX.>", ">"):
            assert any("permissions violation for subscription" in e.lower() and subject.lower() in e.lower()
                       for e in errors), (subject, errors)
    finally:
        await events.close()
    wrong = await _connect(secured_nats, ostfold.user("events"), password, inbox="_INBOX.metrics")
    try:
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await wrong.jetstream(timeout=1).stream_info(stream_name("membership"))
    finally:
        await wrong.close()
