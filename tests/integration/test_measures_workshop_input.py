"""Workshop input from the events service, consumed from the real KF_EVENTS stream on a real nats-server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import nats

from kf.contracts.envelope import CloudEvent, wrap
from kf.contracts.events import WorkshopInputRecorded
from kf.contracts.subjects import DEAD_LETTER_STREAM, stream_name
from kf.runtime.broker import ensure_stream
from kf.runtime.outbox import pending_count
from kf.testing.fixtures import auth
from kf.testing.streams import read_stream, wait_until

MEASURE = {"title": "Inkludering av flyktninger gjennom språkpraksis", "focus_area": "inclusion",
           "proposed_on": "2021-02-01"}
CONSUMER = "measures-workshop-input"


def _input(measure_id: str, input_id: str | None = None) -> WorkshopInputRecorded:
    return WorkshopInputRecorded(input_id=input_id or str(uuid.uuid4()), gathering_id="gathering-workshop-2021",
                                 measure_id=measure_id, text="Knytt språkpraksis til bedrifter med lærlinger",
                                 author_person_id="p-facilitator", recorded_on=date(2021, 3, 10))


def _publish(url: str, envelopes: list[tuple[CloudEvent, str]]) -> None:
    """Publish envelopes onto KF_EVENTS as the events service's relay would, each with its own Nats-Msg-Id."""

    async def run() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream()
        await ensure_stream(js, "events")
        for envelope, msg_id in envelopes:
            await js.publish(WorkshopInputRecorded.subject("ostfold"), envelope.to_json(), stream=stream_name("events"),
                             headers={"Nats-Msg-Id": msg_id})
        await nc.close()

    asyncio.run(run())


def _acked_up_to(url: str, seq: int) -> bool:
    """True when the measures consumer has acknowledged (so committed) every message up to `seq`."""

    async def run() -> bool:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().consumer_info(stream_name("events"), CONSUMER)
            return info.ack_floor.stream_seq >= seq and info.num_ack_pending == 0
        except Exception:  # noqa: BLE001 - the consumer is not created yet
            return False
        finally:
            await nc.close()

    return asyncio.run(run())


def _measure_events(url: str, event: str) -> list:
    return [m for m in read_stream(url, stream_name("measures")) if m.subject.endswith(f".measure.{event}")]


def test_workshop_input_is_applied_exactly_once_under_redelivery(service_app, nats_server, database_url):
    client = service_app("measures", nats_url=nats_server.url, database_url=database_url)
    runtime = client.app.state.runtime
    measure = client.post("/measures", json=MEASURE, headers=auth()).json()
    assert client.post(f"/measures/{measure['id']}/followers", json={"person_id": "p-follower"},
                       headers=auth()).status_code == 201

    recorded = wrap(_input(measure["id"]), region="ostfold", subject="input")
    # The same event twice with different Nats-Msg-Id: JetStream stores both, so the consumer must dedupe.
    # Then the same input in a new envelope (a re-publish by the events service), which must dedupe too.
    rewrapped = wrap(_input(measure["id"], recorded.data["input_id"]), region="ostfold", subject="input")
    _publish(nats_server.url, [(recorded, "first"), (recorded, "second"), (rewrapped, "third")])
    wait_until(lambda: _acked_up_to(nats_server.url, 3), what="the consumer acknowledged all three messages")

    inputs = client.get(f"/measures/{measure['id']}/inputs", headers=auth("viewer")).json()
    assert [(i["id"], i["origin"], i["gathering_id"]) for i in inputs] == [
        (recorded.data["input_id"], "workshop", "gathering-workshop-2021")]
    after = client.get(f"/measures/{measure['id']}", headers=auth("viewer")).json()
    assert after["state"] == "in_review" and after["state_since"] == "2021-03-10"

    wait_until(lambda: pending_count(runtime.db) == 0, what="outbox drained")
    received = _measure_events(nats_server.url, "input_received")
    assert len(received) == 1
    assert received[0].event["data"]["input_id"] == recorded.data["input_id"]
    assert received[0].headers["Nats-Msg-Id"] == received[0].event["id"]
    history = client.get(f"/measures/{measure['id']}/history", headers=auth("viewer")).json()
    assert [h["event_type"] for h in history] == ["measure.proposed", "measure.input_received"]
    notes = client.get("/people/p-follower/notifications", headers=auth("viewer")).json()
    assert notes["total"] == 1 and "in_review" in notes["items"][0]["message"]


def test_input_for_an_unknown_measure_is_dead_lettered_and_changes_nothing(service_app, nats_server):
    client = service_app("measures", nats_url=nats_server.url)
    measure = client.post("/measures", json=MEASURE, headers=auth()).json()
    orphan = wrap(_input("no-such-measure"), region="ostfold", subject="input")
    good = wrap(_input(measure["id"]), region="ostfold", subject="input")
    _publish(nats_server.url, [(orphan, orphan.id), (good, good.id)])
    wait_until(lambda: _acked_up_to(nats_server.url, 2), what="both messages acknowledged")

    parked = wait_until(lambda: read_stream(nats_server.url, DEAD_LETTER_STREAM), what="a dead-lettered message")
    assert len(parked) == 1
    assert "no measure 'no-such-measure'" in parked[0].headers["Kf-Reason"]
    assert parked[0].event["id"] == orphan.id
    # The good input in the same batch was still applied.
    assert client.get(f"/measures/{measure['id']}", headers=auth("viewer")).json()["state"] == "in_review"
    assert len(client.get(f"/measures/{measure['id']}/inputs", headers=auth("viewer")).json()) == 1
