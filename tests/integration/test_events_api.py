"""The events service over HTTP on a real nats-server, on SQLite and PostgreSQL: gatherings from
scheduling to attendance, refused input, communications, the targeted feed and erasure."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import nats

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.contracts.subjects import DEAD_LETTER_STREAM, stream_name
from kf.runtime.broker import ensure_stream
from kf.testing.fixtures import auth
from kf.testing.streams import read_stream, wait_until

NOW = datetime.now(UTC).replace(microsecond=0)
PEOPLE = {  # person id -> (organisation id, sector, role kind)
    "p-kari": ("org-viken", "county", "leader"),
    "p-ola": ("org-borregaard", "business", "employee"),
    "p-amir": ("org-nav", "state_agency", "expert"),
}
GROUP_INCLUSION, GROUP_STEERING = "g-inclusion", "g-steering"


async def _publish_async(url: str, events: list, region: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, "membership")
        for event in events:
            envelope = wrap(event, region=region, subject=None)
            await js.publish(event.subject(region), envelope.to_json(), headers={"Nats-Msg-Id": envelope.id})
    finally:
        await nc.close()


def publish_membership(url: str, events: list, region: str = "ostfold") -> None:
    """Put membership events on the real KF_MEMBERSHIP stream, as the membership service's relay would."""
    asyncio.run(_publish_async(url, events, region))


def seed_directory(url: str) -> None:
    events: list = [mev.GroupFormed(group_id=GROUP_INCLUSION, name="Kompetansegruppe inkludering", kind="competence",
                                    focus_area="inclusion"),
                    mev.GroupFormed(group_id=GROUP_STEERING, name="Styringsgruppen", kind="steering")]
    for person_id, (org, sector, role_kind) in PEOPLE.items():
        events.append(mev.PersonRegistered(person_id=person_id, organisation_id=org, sector=sector, role_kind=role_kind))
    events.append(mev.MemberJoined(membership_id="m-kari", group_id=GROUP_INCLUSION, person_id="p-kari",
                                   organisation_id="org-viken", sector="county", role_kind="leader", role="leader",
                                   joined_on=date(2020, 1, 1)))
    events.append(mev.MemberJoined(membership_id="m-ola", group_id=GROUP_STEERING, person_id="p-ola",
                                   organisation_id="org-borregaard", sector="business", role_kind="employee",
                                   role="member", joined_on=date(2020, 1, 1)))
    publish_membership(url, events)


def start_events(service_app, nats_server, database_url=None):
    seed_directory(nats_server.url)
    client = service_app("events", nats_url=nats_server.url, database_url=database_url)
    wait_until(lambda: client.get("/directory", headers=auth("viewer")).json()["active_memberships"] == 2,
               what="the read model to hold the seeded memberships")
    return client


def gathering(**overrides) -> dict:
    body = {"kind": "workshop", "title": "Workshop: tiltak for inkludering", "place": "Quality Hotel Sarpsborg",
            "starts_at": (NOW - timedelta(days=7)).isoformat(), "ends_at": (NOW - timedelta(days=7, hours=-3)).isoformat(),
            "focus_areas": ["inclusion"], "hosting_group_id": GROUP_INCLUSION,
            "agenda": [{"title": "Velkommen", "speaker_person_id": "p-kari"},
                       {"title": "Kompetansebehov i industrien", "external_speaker": {"name": "Guro Fjeldstad",
                                                                                      "organisation": "NHO Viken Oslo"}},
                       {"title": "Gruppearbeid"}]}
    body.update(overrides)
    return body


def _events_on_stream(url: str, *, at_least: int) -> list:
    return wait_until(lambda: (m := read_stream(url, stream_name("events"))) and len(m) >= at_least and m,
                      what=f"{at_least} events on KF_EVENTS")


def test_a_gathering_is_held_once_with_the_attendees_organisations_and_sectors(service_app, nats_server, database_url):
    client = start_events(service_app, nats_server, database_url)
    created = client.post("/gatherings", json=gathering(), headers=auth())
    assert created.status_code == 201, created.text
    g = created.json()
    assert g["state"] == "scheduled" and [a["title"] for a in g["agenda"]][1] == "Kompetansebehov i industrien"
    assert g["agenda"][1]["external_speaker"] == {"name": "Guro Fjeldstad", "organisation": "NHO Viken Oslo"}

    held = client.post(f"/gatherings/{g['id']}/held", json={"attendees": [
        {"person_id": "p-kari", "role": "host"}, {"person_id": "p-ola"}, {"person_id": "p-amir", "role": "speaker"}]},
        headers=auth())
    assert held.status_code == 200, held.text
    assert held.json()["state"] == "held" and held.json()["held_on"] == (NOW - timedelta(days=7)).date().isoformat()
    again = client.post(f"/gatherings/{g['id']}/held", json={"attendees": [{"person_id": "p-kari"}]}, headers=auth())
    assert again.status_code == 409 and "already held" in again.json()["message"]

    msgs = _events_on_stream(nats_server.url, at_least=2)
    types = [m.event["type"] for m in msgs]
    assert types == ["no.kompetanseforum.gathering.scheduled.v1", "no.kompetanseforum.gathering.held.v1"]
    held_event = msgs[1]
    assert held_event.subject == "kf.ostfold.events.gathering.held"
    assert held_event.headers["Nats-Msg-Id"] == held_event.event["id"]
    assert held_event.event["data"]["attendees"] == [
        {"person_id": "p-kari", "role": "host", "organisation_id": "org-viken", "sector": "county"},
        {"person_id": "p-ola", "role": "participant", "organisation_id": "org-borregaard", "sector": "business"},
        {"person_id": "p-amir", "role": "speaker", "organisation_id": "org-nav", "sector": "state_agency"}]
    agenda = msgs[0].event["data"]["agenda"]
    assert agenda[1] == {"title": "Kompetansebehov i industrien", "speaker_person_id": None, "external_speaker": True}
    raw = b"".join(m.data for m in msgs)
    assert b"Guro" not in raw and b"Fjeldstad" not in raw  # the external speaker stays in this service

    # Erasure of the external speaker: deleting the agenda item deletes the name; no event carried it.
    item = g["agenda"][1]["id"]
    assert client.delete(f"/gatherings/{g['id']}/agenda/{item}", headers=auth()).status_code == 204
    after = client.get(f"/gatherings/{g['id']}", headers=auth("viewer")).json()
    assert [a["title"] for a in after["agenda"]] == ["Velkommen", "Gruppearbeid"]
    assert "Fjeldstad" not in client.get("/gatherings", headers=auth("viewer")).text
    assert len(after["attendees"]) == 3
    assert client.delete(f"/gatherings/{g['id']}/agenda/{item}", headers=auth()).status_code == 404
    changed = _events_on_stream(nats_server.url, at_least=3)[2]
    assert changed.event["type"] == "no.kompetanseforum.gathering.details_changed.v1"
    assert [a["title"] for a in changed.event["data"]["agenda"]] == ["Velkommen", "Gruppearbeid"]
    assert changed.event["data"]["online"] is False and b"Fjeldstad" not in changed.data


def test_bad_input_is_refused_naming_the_field_and_nothing_changes(service_app, nats_server, database_url):
    client = start_events(service_app, nats_server, database_url)

    def refused(path: str, body: dict, status: int, field: str, words: str):
        response = client.post(path, json=body, headers=auth())
        assert response.status_code == status, response.text
        assert response.json()["errors"][0]["field"] == field, response.json()
        assert words in response.json()["message"]

    later = (NOW - timedelta(days=7)).isoformat()
    refused("/gatherings", gathering(ends_at=(NOW - timedelta(days=8)).isoformat(), starts_at=later), 422,
            "ends_at", "must be after")
    refused("/gatherings", gathering(focus_areas=["inclusion", "space_travel"]), 422, "focus_areas.1", "unknown focus area")
    refused("/gatherings", gathering(hosting_group_id="g-ghost"), 422, "hosting_group_id", "no known group")
    refused("/gatherings", gathering(agenda=[{"title": "x", "speaker_person_id": "p-ghost"}]), 422,
            "agenda.0.speaker_person_id", "no known person")
    refused("/gatherings", gathering(place=None), 422, "place", "a place, a link")
    refused("/gatherings", gathering(kind="party"), 422, "kind", "")
    refused("/gatherings", gathering(starts_at="2021-03-01T10:00:00"), 422, "starts_at", "timezone")
    # Valid RFC 3339 at the calendar's edges, with no UTC equivalent in Python: once a 500.
    refused("/gatherings", gathering(starts_at="0001-01-01T00:30:00+01:00"), 422, "starts_at", "greater than or equal to 1900")
    refused("/gatherings", gathering(ends_at="9999-12-31T23:00:00-05:00"), 422, "ends_at", "less than 3000")
    # PostgreSQL text cannot hold NUL: once a 500 there, stored as given on SQLite.
    refused("/gatherings", gathering(title="Samling\u0000"), 422, "title", "NUL")
    for path, params, field in (("/gatherings", {"starts_from": "0001-01-01T00:00:00+01:00"}, "starts_from"),
                                ("/gatherings/a%00b", {}, "path"), ("/gatherings", {"hosting_group_id": "g\x00"}, "hosting_group_id"),
                                ("/people/p-kari/feed", {"as_of": "0001-03-01T00:00:00Z"}, "as_of")):
        response = client.get(path, params=params, headers=auth("viewer"))
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (path, response.text)

    g = client.post("/gatherings", json=gathering(), headers=auth()).json()
    refused(f"/gatherings/{g['id']}/held", {"attendees": [{"person_id": "p-kari"}, {"person_id": "p-nobody"}]}, 422,
            "attendees.1.person_id", "no known person")
    refused(f"/gatherings/{g['id']}/held", {"attendees": [{"person_id": "p-kari"}, {"person_id": "p-kari"}]}, 422,
            "attendees.1.person_id", "listed twice")
    refused(f"/gatherings/{g['id']}/held", {"attendees": []}, 422, "attendees", "at least 1")
    # Outside the years of the event contracts (1900-2999): refused before the domain's rules.
    refused(f"/gatherings/{g['id']}/held", {"attendees": [{"person_id": "p-kari"}], "held_on": "9999-12-31"}, 422,
            "held_on", "must be a date from 1900-01-01 to 2999-12-31")
    refused("/communications", {"channel": "newsletter", "title": "Nyhetsbrev", "published_at": NOW.isoformat(),
                                "audience": {"group_ids": [GROUP_INCLUSION, "g-ghost"]}}, 422,
            "audience.group_ids.1", "no known group")
    refused("/communications", {"channel": "newsletter", "title": "Nyhetsbrev", "published_at": NOW.isoformat(),
                                "audience": {}}, 422, "audience", "names nobody")
    refused("/communications", {"channel": "fax", "title": "x", "published_at": NOW.isoformat(),
                                "audience": {"everyone": True}}, 422, "channel", "")

    future = client.post("/gatherings", json=gathering(starts_at=(NOW + timedelta(days=3)).isoformat(),
                                                       ends_at=(NOW + timedelta(days=3, hours=2)).isoformat()),
                         headers=auth()).json()
    refused(f"/gatherings/{future['id']}/held", {"attendees": [{"person_id": "p-kari"}]}, 409, "gathering_id",
            "before it starts")
    cancelled = client.post(f"/gatherings/{future['id']}/cancel", json={"reason": "For få påmeldte"}, headers=auth())
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    refused(f"/gatherings/{future['id']}/held", {"attendees": [{"person_id": "p-kari"}]}, 409, "gathering_id",
            "was cancelled")
    refused(f"/gatherings/{future['id']}/reschedule", {"starts_at": NOW.isoformat(),
                                                       "ends_at": (NOW + timedelta(hours=1)).isoformat()},
            409, "gathering_id", "was cancelled")
    visit = client.post("/gatherings", json=gathering(kind="company_visit", title="Bedriftsbesøk Borregaard",
                                                      agenda=[]), headers=auth()).json()
    refused(f"/gatherings/{visit['id']}/inputs", {"measure_id": "m-1", "text": "Flere læreplasser"}, 422,
            "gathering_id", "workshops")

    # Nothing but the three accepted gatherings and the cancellation reached the database and the stream.
    assert client.get("/gatherings", headers=auth("viewer")).json()["total"] == 3
    assert client.get(f"/gatherings/{g['id']}", headers=auth("viewer")).json()["attendees"] == []
    assert client.get("/communications", headers=auth("viewer")).json()["total"] == 0
    msgs = _events_on_stream(nats_server.url, at_least=4)
    assert [m.event["type"].split(".")[2:4] for m in msgs] == [
        ["gathering", "scheduled"], ["gathering", "scheduled"], ["gathering", "cancelled"], ["gathering", "scheduled"]]
    assert client.get("/gatherings/nope", headers=auth("viewer")).status_code == 404


def test_rescheduling_workshop_input_and_reach(service_app, nats_server):
    client = start_events(service_app, nats_server)
    future = client.post("/gatherings", json=gathering(starts_at=(NOW + timedelta(days=3)).isoformat(),
                                                       ends_at=(NOW + timedelta(days=3, hours=2)).isoformat()),
                         headers=auth()).json()
    moved = client.post(f"/gatherings/{future['id']}/reschedule", json={
        "starts_at": (NOW + timedelta(days=10)).isoformat(), "ends_at": (NOW + timedelta(days=10, hours=2)).isoformat(),
        "place": None, "link": "https://teams.example/meeting"}, headers=auth())  # moved online
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"].startswith((NOW + timedelta(days=10)).date().isoformat())
    assert moved.json()["link"] == "https://teams.example/meeting"

    workshop = client.post("/gatherings", json=gathering(), headers=auth()).json()
    client.post(f"/gatherings/{workshop['id']}/held", json={"attendees": [{"person_id": "p-kari"}]}, headers=auth())
    given = client.post(f"/gatherings/{workshop['id']}/inputs", json={
        "measure_id": "measure-1", "text": "Samarbeid med NAV om praksisplasser", "author_person_id": "p-ola"},
        headers=auth())
    assert given.status_code == 201, given.text
    assert given.json()["recorded_on"] == workshop["starts_at"][:10]
    assert client.get(f"/gatherings/{workshop['id']}/inputs", headers=auth("viewer")).json()["total"] == 1
    ghost_author = client.post(f"/gatherings/{workshop['id']}/inputs", json={
        "measure_id": "measure-1", "text": "x", "author_person_id": "p-ghost"}, headers=auth())
    assert ghost_author.status_code == 422 and ghost_author.json()["errors"][0]["field"] == "author_person_id"

    news = client.post("/communications", json={
        "channel": "newsletter", "title": "Nyhetsbrev mars", "published_at": NOW.isoformat(),
        "focus_areas": ["inclusion"], "audience": {"everyone": True}, "recipients": 120}, headers=auth()).json()
    reach = client.post(f"/communications/{news['id']}/reach", json={"recipients": 135, "views": 80}, headers=auth())
    assert reach.status_code == 200 and (reach.json()["recipients"], reach.json()["views"]) == (135, 80)
    assert client.post(f"/communications/{news['id']}/reach", json={}, headers=auth()).status_code == 422

    msgs = _events_on_stream(nats_server.url, at_least=7)
    by_type = {m.event["type"].split(".")[2] + "." + m.event["type"].split(".")[3]: m.event["data"] for m in msgs}
    assert by_type["gathering.rescheduled"]["gathering_id"] == future["id"]
    assert by_type["gathering.details_changed"] == {"gathering_id": future["id"], "online": True,
                                                    "agenda": by_type["gathering.scheduled"]["agenda"]}
    assert by_type["workshop.input_recorded"] == {
        "input_id": given.json()["id"], "gathering_id": workshop["id"], "measure_id": "measure-1",
        "text": "Samarbeid med NAV om praksisplasser", "author_person_id": "p-ola",
        "recorded_on": workshop["starts_at"][:10]}
    assert by_type["communication.published"]["audience"]["everyone"] is True
    assert by_type["communication.reach_reported"]["recipients"] == 135


def test_the_feed_shows_what_concerns_a_person_and_why(service_app, nats_server, database_url):
    client = start_events(service_app, nats_server, database_url)

    def schedule(days: int, **kw) -> str:
        body = gathering(starts_at=(NOW + timedelta(days=days)).isoformat(),
                         ends_at=(NOW + timedelta(days=days, hours=2)).isoformat(), agenda=[], **kw)
        response = client.post("/gatherings", json=body, headers=auth())
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def publish(title: str, days: int, audience: dict) -> str:
        response = client.post("/communications", json={"channel": "web_article", "title": title,
                                                        "published_at": (NOW + timedelta(days=days)).isoformat(),
                                                        "audience": audience}, headers=auth())
        assert response.status_code == 201, response.text
        return response.json()["id"]

    inclusion_workshop = schedule(5)  # hosted by the inclusion group, on inclusion
    common = schedule(20, kind="common_gathering", title="Felles-samling våren", hosting_group_id=None, focus_areas=[])
    steering_meeting = schedule(2, kind="group_meeting", title="Styringsgruppemøte", hosting_group_id=GROUP_STEERING,
                                focus_areas=[])
    past = schedule(-2)
    cancelled = schedule(8)
    client.post(f"/gatherings/{cancelled}/cancel", headers=auth())
    to_all = publish("Nyhetsbrev", -1, {"everyone": True})
    to_counties = publish("Til fylkeskommunene", -3, {"sectors": ["county"]})
    to_business = publish("Til næringslivet", -4, {"sectors": ["business"], "role_kinds": ["elected_representative"]})
    to_area = publish("Inkludering i arbeidslivet", -6, {"focus_areas": ["inclusion"], "role_kinds": ["leader"]})
    too_old = publish("Gammelt nytt", -400, {"everyone": True})

    feed = client.get("/people/p-kari/feed", headers=auth("viewer"))
    assert feed.status_code == 200, feed.text
    items = [(i["type"], i["id"], i["matched_because"]) for i in feed.json()["items"]]
    assert items == [
        ("gathering", common, ["everyone"]),
        ("gathering", inclusion_workshop, [f"group:{GROUP_INCLUSION}", "focus_area:inclusion"]),
        ("communication", to_all, ["everyone"]),
        ("communication", to_counties, ["sector:county"]),
        ("communication", to_area, ["role_kind:leader", "focus_area:inclusion"]),
    ]
    assert feed.json()["items"][0]["title"] == "Felles-samling våren"
    ola = [i["id"] for i in client.get("/people/p-ola/feed", headers=auth("viewer")).json()["items"]]
    assert ola == [common, steering_meeting, to_all, to_business]
    # Amir is in no group: common gatherings are for members, so only what names everyone reaches him.
    assert [i["id"] for i in client.get("/people/p-amir/feed", headers=auth("viewer")).json()["items"]] == [to_all]
    # Looking back from three days ago, the past workshop was still upcoming and the newsletter not out yet.
    earlier = client.get("/people/p-kari/feed", params={"as_of": (NOW - timedelta(days=3)).isoformat(), "days": 3650},
                         headers=auth("viewer")).json()
    assert past in [i["id"] for i in earlier["items"]] and to_all not in [i["id"] for i in earlier["items"]]
    assert too_old in [i["id"] for i in earlier["items"]] and cancelled not in [i["id"] for i in earlier["items"]]

    unknown = client.get("/people/p-nobody/feed", headers=auth("viewer"))
    assert unknown.status_code == 404 and "p-nobody" in unknown.json()["message"]
    naive = client.get("/people/p-kari/feed", params={"as_of": "2021-01-01T00:00:00"}, headers=auth("viewer"))
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "as_of"


def test_the_read_model_ignores_a_redelivered_event_and_follows_erasure(service_app, nats_server):
    client = start_events(service_app, nats_server)
    joined = mev.MemberJoined(membership_id="m-amir", group_id=GROUP_INCLUSION, person_id="p-amir",
                              organisation_id="org-nav", sector="state_agency", role_kind="expert", role="member",
                              joined_on=date(2021, 2, 1))
    envelope = wrap(joined, region="ostfold", subject="m-amir")

    async def redeliver() -> None:
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        # The same event twice with different Nats-Msg-Id: JetStream keeps both, the consumer applies it once.
        for msg_id in ("first-copy", "second-copy"):
            await js.publish(joined.subject("ostfold"), envelope.to_json(), headers={"Nats-Msg-Id": msg_id})
        await nc.close()

    asyncio.run(redeliver())
    metric = 'kf_events_duplicate_total{consumer="events-directory"} 1.0'
    wait_until(lambda: metric in client.get("/metrics").text, what="the duplicate to be skipped")
    amir = client.get("/directory/people/p-amir", headers=auth("viewer")).json()
    assert amir["group_ids"] == [GROUP_INCLUSION] and amir["sector"] == "state_agency"
    group = client.get(f"/directory/groups/{GROUP_INCLUSION}", headers=auth("viewer")).json()
    assert group["active_members"] == 2 and group["focus_area"] == "inclusion"

    # Another region's person comes first on the stream; by the time the erasure is applied it would be too.
    publish_membership(nats_server.url, [mev.PersonRegistered(person_id="p-vestfold", organisation_id="o",
                                                              sector="other", role_kind="expert")], "vestfold-telemark")
    publish_membership(nats_server.url, [
        mev.MemberLeft(membership_id="m-amir", group_id=GROUP_INCLUSION, person_id="p-amir", left_on=date(2021, 5, 1)),
        mev.PersonErased(person_id="p-amir")])
    wait_until(lambda: client.get("/directory/people/p-amir", headers=auth("viewer")).json()["erased"],
               what="the erasure to arrive")
    assert client.get("/directory/people/p-vestfold", headers=auth("viewer")).status_code == 404
    assert client.get("/directory/people/p-amir", headers=auth("viewer")).json()["group_ids"] == []
    assert client.get("/people/p-amir/feed", headers=auth("viewer")).status_code == 404
    g = client.post("/gatherings", json=gathering(agenda=[]), headers=auth()).json()
    erased = client.post(f"/gatherings/{g['id']}/held", json={"attendees": [{"person_id": "p-amir"}]}, headers=auth())
    assert erased.status_code == 422 and "erased" in erased.json()["message"]


def test_the_read_model_is_built_from_the_membership_services_own_events(service_app, nats_server):
    membership = service_app("membership", nats_url=nats_server.url)
    events = service_app("events", nats_url=nats_server.url)
    org = membership.post("/organisations", json={"name": "Høgskolen i Østfold", "org_number": "974 760 673",
                                                  "sector": "university_college"}, headers=auth()).json()
    person = membership.post("/people", json={"name": "Kari Nordmann", "email": "kari@example.no",
                                              "organisation_id": org["id"], "role_kind": "expert"}, headers=auth()).json()
    group = membership.post("/groups", json={"name": "Kompetansegruppe livslang læring", "kind": "competence",
                                             "focus_area": "lifelong_learning"}, headers=auth()).json()
    membership.post("/memberships", json={"person_id": person["id"], "group_id": group["id"]}, headers=auth())

    known = wait_until(lambda: (r := events.get(f"/directory/people/{person['id']}", headers=auth("viewer"))).status_code
                       == 200 and r.json()["group_ids"] and r.json(), what="the events service to learn the member")
    assert known == {"id": person["id"], "organisation_id": org["id"], "sector": "university_college",
                     "role_kind": "expert", "erased": False, "group_ids": [group["id"]]}
    assert events.get(f"/directory/groups/{group['id']}", headers=auth("viewer")).json()["kind"] == "competence"

    membership.patch(f"/organisations/{org['id']}", json={"sector": "vocational_college"}, headers=auth())
    wait_until(lambda: events.get(f"/directory/people/{person['id']}", headers=auth("viewer")).json()["sector"]
               == "vocational_college", what="the new sector to arrive")


def test_concurrent_requests_hold_a_gathering_once(service_app, nats_server, database_url):
    client = start_events(service_app, nats_server, database_url)
    ids = [client.post("/gatherings", json=gathering(agenda=[]), headers=auth()).json()["id"] for _ in range(3)]
    attendees = {"attendees": [{"person_id": "p-kari"}, {"person_id": "p-ola"}]}

    def hold(gathering_id: str):
        return client.post(f"/gatherings/{gathering_id}/held", json=attendees, headers=auth()).status_code

    def cancel(gathering_id: str):
        return client.post(f"/gatherings/{gathering_id}/cancel", json={}, headers=auth()).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        races = {g: sorted(pool.map(lambda f: f(g), [hold, hold, cancel, hold])) for g in ids}
    for statuses in races.values():
        assert statuses == [200, 409, 409, 409], races
    msgs = _events_on_stream(nats_server.url, at_least=6)
    changes = [m.event["data"]["gathering_id"] for m in msgs if not m.event["type"].endswith("scheduled.v1")]
    assert sorted(changes) == sorted(ids)  # each gathering was held or cancelled, exactly once
    for gathering_id in ids:
        g = client.get(f"/gatherings/{gathering_id}", headers=auth("viewer")).json()
        assert g["state"] in ("held", "cancelled") and len(g["attendees"]) == (2 if g["state"] == "held" else 0)


def test_an_event_whose_envelope_names_another_region_than_its_subject_leaves_the_directory_as_it_was(service_app,
                                                                                                     nats_server):
    """The directory keeps a person under the region of the first event about them: a registration on ostfold's
    subject whose envelope said vestfold-telemark created a person of that region, whom the correct registration after
    it did not bring back, so the person could never attend an ostfold gathering. It is dead-lettered now."""
    client = start_events(service_app, nats_server)
    registered = mev.PersonRegistered(person_id="p-lise", organisation_id="org-viken", sector="county", role_kind="leader")
    mismatched = wrap(registered, region="vestfold-telemark", subject="p-lise", time=NOW - timedelta(hours=1))

    async def put() -> None:
        nc = await nats.connect(nats_server.url)
        await nc.jetstream().publish(registered.subject("ostfold"), mismatched.to_json(),
                                     headers={"Nats-Msg-Id": mismatched.id})
        await nc.close()

    asyncio.run(put())
    publish_membership(nats_server.url, [registered])
    wait_until(lambda: client.get("/directory/people/p-lise", headers=auth("viewer")).status_code == 200,
               what="the correct registration applied")
    parked = wait_until(lambda: read_stream(nats_server.url, DEAD_LETTER_STREAM), what="the mismatched one dead-lettered")
    assert [(m.headers["Kf-Consumer"], m.data) for m in parked] == [("events-directory", mismatched.to_json())]
    assert "region: the envelope names region 'vestfold-telemark'" in parked[0].headers["Kf-Reason"]
    g = client.post("/gatherings", json=gathering(agenda=[]), headers=auth()).json()
    held = client.post(f"/gatherings/{g['id']}/held", json={"attendees": [{"person_id": "p-lise"}]}, headers=auth())
    assert held.status_code == 200, held.text
