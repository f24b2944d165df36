"""The transactional outbox: no event lost or duplicated through a broker outage or a relay crash."""

from __future__ import annotations

import asyncio
from collections import Counter

import nats
from nats.js.api import StorageType, StreamConfig

from kf.contracts.subjects import DUPLICATE_WINDOW_SECONDS, stream_name, stream_subjects
from kf.runtime.broker import ensure_stream
from kf.runtime.outbox import OutboxRelay, pending_count
from kf.testing.fixtures import auth
from kf.testing.streams import read_stream, wait_until

ORG = {"name": "NAV Øst-Viken", "org_number": "974760673", "sector": "state_agency"}


def test_writes_during_a_nats_outage_arrive_exactly_once_after_restart(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    runtime = client.app.state.runtime
    org = client.post("/organisations", json=ORG, headers=auth()).json()
    wait_until(lambda: len(read_stream(nats_server.url, stream_name("membership"))) == 1, what="first event stored")

    nats_server.stop()
    people = []
    for i in range(25):
        response = client.post("/people", json={"name": f"Person {i}", "email": f"p{i}@example.no",
                                                "organisation_id": org["id"], "role_kind": "employee"}, headers=auth())
        assert response.status_code == 201, "writes keep working while NATS is down"
        people.append(response.json()["id"])
    assert pending_count(runtime.db) == 25
    ready = client.get("/readyz")  # still ready: a Kubernetes Service keeps sending it the writes
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "nats": False}

    nats_server.start()
    msgs = wait_until(lambda: (m := read_stream(nats_server.url, stream_name("membership"))) and len(m) >= 26 and m,
                      timeout=30, what="all events after the restart")
    wait_until(lambda: pending_count(runtime.db) == 0, what="outbox drained")
    ids = Counter(m.headers["Nats-Msg-Id"] for m in msgs)
    assert len(msgs) == 26 and all(n == 1 for n in ids.values())
    assert {m.event["data"]["person_id"] for m in msgs[1:]} == set(people)
    assert all(m.headers["Nats-Msg-Id"] == m.event["id"] for m in msgs)


class _CrashBeforeMarking(OutboxRelay):
    def _mark_sent(self, seqs: list[int]) -> None:
        raise RuntimeError("crash before the rows were marked sent")


def test_a_relay_crash_after_publishing_does_not_duplicate(service_app, nats_server, database_url):
    """Publish, then crash before marking rows sent: the next relay republishes and JetStream drops the copies."""
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url, relay_in_process=False)
    runtime = client.app.state.runtime
    numbers = ["974760673", "971526920", "923609016", "889640782", "991012133"]
    for i, number in enumerate(numbers):
        assert client.post("/organisations", json={**ORG, "name": f"Org {i}", "org_number": number},
                           headers=auth()).status_code == 201
    assert pending_count(runtime.db) == 5

    async def crash_then_recover() -> None:
        try:
            await _CrashBeforeMarking(runtime.db, "membership", runtime.js, runtime.metrics).publish_pending()
        except RuntimeError:
            pass
        assert pending_count(runtime.db) == 5  # published, but not marked sent
        await OutboxRelay(runtime.db, "membership", runtime.js, runtime.metrics).publish_pending()

    client.portal.call(crash_then_recover)
    assert pending_count(runtime.db) == 0
    msgs = read_stream(nats_server.url, stream_name("membership"))
    assert len(msgs) == 5 and len({m.headers["Nats-Msg-Id"] for m in msgs}) == 5


def test_a_stream_made_with_the_old_two_minute_window_is_widened_at_the_next_start(nats_server):
    """A relay that republishes an unmarked row after a long outage relies on the duplicate window: a stream created
    by an earlier version with JetStream's 2 minutes gets the current window when the service starts again."""
    async def scenario() -> float:
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        try:
            await js.add_stream(StreamConfig(name=stream_name("membership"), subjects=stream_subjects("membership"),
                                             storage=StorageType.FILE, duplicate_window=120.0))
            await ensure_stream(js, "membership")
            return (await js.stream_info(stream_name("membership"))).config.duplicate_window
        finally:
            await nc.close()

    assert asyncio.run(scenario()) == DUPLICATE_WINDOW_SECONDS >= 24 * 3600
