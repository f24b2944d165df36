"""End to end through HTTP, with `kf serve membership` and `kf serve events` as real processes on
a real nats-server: people registered in membership reach the events service, attend a gathering
and read their feed; and the demo data seeds through the same public APIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kf.contracts.subjects import stream_name
from kf.demo import membership as membership_demo
from kf.demo import events as events_demo
from kf.demo.client import DemoClient, DemoContext
from kf.testing.fixtures import TOKENS, auth, tokens_json
from kf.testing.stack import Stack
from kf.testing.streams import read_stream, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = Stack(tmp_path_factory.mktemp("events-e2e"), services=["membership", "events"],
                    env={"KF_API_TOKENS": tokens_json()}).start()
    yield running
    running.stop()


def test_members_registered_in_membership_attend_a_gathering_and_read_their_feed(stack):
    membership = httpx.Client(base_url=stack.url("membership"), headers=auth(), timeout=10)
    events = httpx.Client(base_url=stack.url("events"), headers=auth(), timeout=10)
    org = membership.post("/organisations", json={"name": "Sarpsborg kommune", "org_number": "938 260 494",
                                                  "sector": "municipality"}).json()
    business = membership.post("/organisations", json={"name": "Borregaard AS", "org_number": "981 271 009",
                                                       "sector": "business"}).json()
    group = membership.post("/groups", json={"name": "Kompetansegruppe inkludering e2e", "kind": "competence",
                                             "focus_area": "inclusion"}).json()
    kari = membership.post("/people", json={"name": "Kari E2e", "email": "kari.e2e@example.no",
                                            "organisation_id": org["id"], "role_kind": "leader"}).json()
    ola = membership.post("/people", json={"name": "Ola E2e", "email": "ola.e2e@example.no",
                                           "organisation_id": business["id"], "role_kind": "employee"}).json()
    joined = membership.post("/memberships", json={"person_id": kari["id"], "group_id": group["id"], "role": "leader"})
    assert joined.status_code == 201, joined.text

    wait_until(lambda: events.get(f"/directory/people/{kari['id']}").status_code == 200
               and events.get(f"/directory/people/{kari['id']}").json()["group_ids"] == [group["id"]]
               and events.get(f"/directory/people/{ola['id']}").status_code == 200,
               timeout=30, what="the events service to learn both people")

    now = datetime.now(UTC).replace(microsecond=0)
    past = events.post("/gatherings", json={
        "kind": "company_visit", "title": "Bedriftsbesøk Borregaard", "place": "Borregaard, Sarpsborg",
        "starts_at": (now - timedelta(days=2)).isoformat(), "ends_at": (now - timedelta(days=2, hours=-2)).isoformat(),
        "focus_areas": ["relevant_competence"],
        "agenda": [{"title": "Omvisning", "external_speaker": {"name": "Per Kristian Moe", "organisation": "Borregaard"}}]})
    assert past.status_code == 201, past.text
    held = events.post(f"/gatherings/{past.json()['id']}/held", json={"attendees": [
        {"person_id": kari["id"], "role": "participant"}, {"person_id": ola["id"], "role": "host"}]})
    assert held.status_code == 200, held.text
    upcoming = events.post("/gatherings", json={
        "kind": "workshop", "title": "Workshop: inkludering", "link": "https://teams.example/w",
        "starts_at": (now + timedelta(days=9)).isoformat(), "ends_at": (now + timedelta(days=9, hours=3)).isoformat(),
        "focus_areas": ["inclusion"], "hosting_group_id": group["id"]}).json()
    news = events.post("/communications", json={
        "channel": "newsletter", "title": "Nyhetsbrev", "published_at": (now - timedelta(hours=1)).isoformat(),
        "audience": {"sectors": ["municipality"]}, "recipients": 200}).json()

    feed = events.get(f"/people/{kari['id']}/feed")
    assert feed.status_code == 200, feed.text
    assert [(i["title"], i["matched_because"]) for i in feed.json()["items"]] == [
        ("Workshop: inkludering", [f"group:{group['id']}", "focus_area:inclusion"]),
        ("Nyhetsbrev", ["sector:municipality"])]
    assert [i["id"] for i in feed.json()["items"]] == [upcoming["id"], news["id"]]
    assert events.get(f"/people/{ola['id']}/feed").json()["items"] == []

    def held() -> list:  # the outbox relay publishes after the write's commit: wait for it
        return [m for m in read_stream(stack.nats.url, stream_name("events"))
                if m.event["type"] == "no.kompetanseforum.gathering.held.v1"]

    held_events = wait_until(held, what="the gathering.held event on the stream")
    assert len(held_events) == 1
    assert {(a["person_id"], a["sector"]) for a in held_events[0].event["data"]["attendees"]} == {
        (kari["id"], "municipality"), (ola["id"], "business")}


def test_the_demo_seeds_gatherings_and_communications_through_the_apis(stack):
    client = DemoClient({"membership": stack.url("membership"), "events": stack.url("events")}, TOKENS["admin"])
    ctx = DemoContext(region="ostfold")
    membership_demo.seed(client, ctx)
    events_demo.seed(client, ctx)

    assert ctx.counts["gatherings"] == len(events_demo.GATHERINGS) + 3
    assert ctx.counts["communications"] == len(events_demo.COMMUNICATIONS) + 2
    assert len(ctx.extra["workshops"]) == 4 and all(w["held_on"] < "2022" for w in ctx.extra["workshops"])
    held = client.get("events", "/gatherings", state="held", starts_before="2022-01-01T00:00:00+00:00", limit=100)
    assert held["total"] == len(events_demo.GATHERINGS)
    kinds = {g["kind"] for g in held["items"]}
    assert kinds == {"common_gathering", "workshop", "company_visit", "webinar", "group_meeting"}
    first = held["items"][0]
    sectors = {a["sector"] for a in first["attendees"]}
    assert len(first["attendees"]) >= 5 and len(sectors) >= 3  # attendance mixes groups and sectors
    assert any(a["external_speaker"] for a in first["agenda"])
    assert client.get("events", "/gatherings", state="cancelled")["total"] == 1
    # A member of the lifelong-learning group sees the two upcoming gatherings and the recent posts.
    group = ctx.groups["competence:lifelong_learning"]["id"]
    member = next(m["person_id"] for m in ctx.memberships if m["group_id"] == group and m["role"] == "leader")
    feed = client.get("events", f"/people/{member}/feed")["items"]
    assert [i["type"] for i in feed] == ["gathering", "gathering", "communication", "communication"]
    assert feed[0]["title"] == "Workshop: nye tiltak for livslang læring"
    assert {"speaker", f"group:{group}", "focus_area:lifelong_learning"} <= set(feed[0]["matched_because"])
    assert "everyone" in feed[1]["matched_because"] and f"group:{group}" in feed[2]["matched_because"]
