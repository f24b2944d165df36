"""Malformed, oversized and wrong-version CloudEvents, and ones whose envelope names another region than their subject
or carries a date past the contracts' years, published straight onto NATS go to the dead-letter stream with the
reason, every consumer carries on, and nothing else changes."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import httpx
import nats

from kf.contracts import membership as ev
from kf.contracts.envelope import MAX_EVENT_BYTES, wrap
from kf.contracts.subjects import DEAD_LETTER_STREAM, stream_name
from kf.registry import available_services
from kf.testing.fixtures import auth, tokens_json
from kf.testing.stack import Stack
from kf.testing.streams import read_stream, wait_until

SUBJECT = ev.PersonRegistered.subject("ostfold")


def _valid(person_id: str) -> bytes:
    return wrap(ev.PersonRegistered(person_id=person_id, organisation_id="org-1", sector="union", role_kind="leader"),
                region="ostfold", subject=person_id).to_json()


def _far_future_join() -> bytes:
    joined = ev.MemberJoined(membership_id="m-hostile", group_id="g-1", person_id="p-hostile", organisation_id="org-1",
                             sector="union", role_kind="leader", role="member", joined_on=date(2021, 3, 1))
    raw = wrap(joined, region="ostfold", subject="m-hostile").to_json()
    return raw.replace(b'"joined_on":"2021-03-01"', b'"joined_on":"9999-12-31"')


def _hostile() -> dict[str, bytes]:
    good = json.loads(_valid("p-hostile"))
    return {
        "region of another subject": json.dumps({**good, "region": "vestfold-telemark"}).encode(),
        "region not a region id": json.dumps({**good, "region": "Østfold"}).encode(),
        "a date past the contracts' years": _far_future_join(),
        "not json": b"\x00\xffthis is not JSON{",
        "oversized": json.dumps({**good, "data": {**good["data"], "padding": "x" * (MAX_EVENT_BYTES + 1)}}).encode(),
        "wrong specversion": json.dumps({**good, "specversion": "0.3"}).encode(),
        "no time zone": json.dumps({**good, "time": "2021-03-17T10:00:00"}).encode(),
        "data missing a field": json.dumps({**good, "data": {"person_id": "p-x"}}).encode(),
        "deeply nested": b'{"a":' * 200 + b"1" + b"}" * 200,
    }


async def _publish(url: str, messages: list[tuple[str, bytes]]) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for i, (msg_id, payload) in enumerate(messages):
        await js.publish(SUBJECT, payload, stream=stream_name("membership"), headers={"Nats-Msg-Id": msg_id or f"h-{i}"})
    await nc.close()


def _dead_lettered(prometheus_text: str) -> float:
    """Sum of kf_events_dead_lettered_total over the service's consumers."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in prometheus_text.splitlines()
               if line.startswith("kf_events_dead_lettered_total{"))


CONSUMERS = [name for name in ("events", "metrics") if name in {s.name for s in available_services()}]


def test_hostile_messages_are_dead_lettered_and_consumption_goes_on(tmp_path):
    assert CONSUMERS, "no service consumes membership events"
    stack = Stack(tmp_path, services=["membership", *CONSUMERS], env={"KF_API_TOKENS": tokens_json()}).start()
    try:
        headers = auth("viewer")
        before = {name: httpx.get(stack.url(name) + "/metrics").text for name in CONSUMERS}
        hostile = _hostile()
        asyncio.run(_publish(stack.nats.url, [(f"hostile-{k}", v) for k, v in hostile.items()]
                             + [("valid-after", _valid("p-after"))]))

        def parked():
            return read_stream(stack.nats.url, DEAD_LETTER_STREAM)

        expected = len(hostile) * len(CONSUMERS)
        dead = wait_until(lambda: (d := parked()) and len(d) >= expected and d, timeout=30, what="dead letters")
        assert len(dead) == expected
        reasons = {(m.headers["Kf-Consumer"], m.headers["Kf-Original-Subject"]) for m in dead}
        assert all(subject == SUBJECT for _, subject in reasons)
        by_reason = " | ".join(m.headers["Kf-Reason"] for m in dead)
        for fragment in ("Invalid JSON", "larger than", "specversion", "time", "organisation_id",
                         "region: the envelope names region 'vestfold-telemark'", "region: String should match pattern",
                         "joined_on: Input should be less than 3000-01-01"):
            assert fragment in by_reason, fragment
        assert {m.data for m in dead} <= set(hostile.values()), "the original message is kept as it was"

        # The valid event after the hostile ones is applied: consumption went on.
        if "events" in CONSUMERS:
            wait_until(lambda: httpx.get(stack.url("events") + "/directory/people/p-after", headers=headers).status_code == 200,
                       what="the valid event applied by the events service")
            assert httpx.get(stack.url("events") + "/directory/people/p-hostile", headers=headers).status_code == 404
        for name in CONSUMERS:
            assert _dead_lettered(before[name]) == 0
            assert _dead_lettered(httpx.get(stack.url(name) + "/metrics").text) == len(hostile), name
    finally:
        stack.stop()
