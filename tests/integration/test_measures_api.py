"""The measures service over HTTP on SQLite and PostgreSQL: effects, corrections, bad input, events via the outbox."""

from __future__ import annotations

from collections import Counter

from kf.contracts.subjects import stream_name
from kf.runtime.outbox import pending_count
from kf.testing.fixtures import auth
from kf.testing.streams import read_stream, wait_until

MEASURE = {"title": "Bransjeprogram for EVU i helse", "focus_area": "lifelong_learning", "proposed_on": "2020-01-15",
           "description": "Etter- og videreutdanning for helsefagarbeidere i kommunene",
           "proposing_group_id": "grp-lifelong", "contact_person_id": "p-contact",
           "partner_organisation_ids": ["org-ks", "org-fagskolen", "org-ks"]}
EFFECT = {"indicator": "evu_participants", "baseline": 40, "baseline_date": "2020-01-01", "target": 200,
          "target_date": "2022-12-31"}
REPORT = {"indicator": "evu_participants", "value": 55, "period_start": "2020-07-01", "period_end": "2020-09-30",
          "source": "SSB", "reported_by_person_id": "p-reporter"}


def _in_progress(client) -> dict:
    m = client.post("/measures", json=MEASURE, headers=auth())
    assert m.status_code == 201, m.text
    mid = m.json()["id"]
    steps = [("inputs", {"text": "Ta inn private helseaktører", "recorded_on": "2020-02-10"}),
             ("revise", {"revised_on": "2020-03-01", "partner_organisation_ids": ["org-ks", "org-fagskolen", "org-nav"]}),
             ("adopt", {"decided_by": "Styringsgruppen", "decided_on": "2020-03-20", "rationale": "Stort behov i helse"}),
             ("ownership", {"organisation_id": "org-ks", "mandate_holder_person_id": "p-ks-director",
                            "accepted_on": "2020-04-01"}),
             ("start", {"started_on": "2020-05-01"})]
    for path, body in steps:
        r = client.post(f"/measures/{mid}/{path}", json=body, headers=auth())
        assert r.status_code in (200, 201), (path, r.text)
    return client.get(f"/measures/{mid}", headers=auth("viewer")).json()


def test_a_measure_with_effects_and_a_correction_publishes_every_event_once(service_app, nats_server, database_url):
    client = service_app("measures", nats_url=nats_server.url, database_url=database_url)
    measure = _in_progress(client)
    assert measure["state"] == "in_progress" and measure["allowed_next_states"] == ["completed", "stopped"]
    assert measure["partner_organisation_ids"] == ["org-ks", "org-fagskolen", "org-nav"]
    assert (measure["decided_by"], measure["decided_on"], measure["decision_rationale"]) == (
        "Styringsgruppen", "2020-03-20", "Stort behov i helse")
    assert (measure["owner_organisation_id"], measure["mandate_holder_person_id"], measure["ownership_accepted_on"]) == (
        "org-ks", "p-ks-director", "2020-04-01")
    mid = measure["id"]

    expected = client.post(f"/measures/{mid}/expected-effects", json=EFFECT, headers=auth())
    assert expected.status_code == 201 and expected.json()["unit"] == "people"
    first = client.post(f"/measures/{mid}/effect-reports", json=REPORT, headers=auth()).json()
    correction = client.post(f"/measures/{mid}/effect-reports", json={**REPORT, "value": 58, "source": "SSB, revidert",
                                                                      "supersedes_report_id": first["id"]}, headers=auth())
    assert correction.status_code == 201, correction.text
    current = client.get(f"/measures/{mid}/effect-reports", headers=auth("viewer")).json()
    assert [(r["value"], r["supersedes_report_id"]) for r in current] == [(58, first["id"])]
    everything = client.get(f"/measures/{mid}/effect-reports", params={"include_superseded": True},
                            headers=auth("viewer")).json()
    assert sorted((r["value"], r["superseded"]) for r in everything) == [(55, True), (58, False)], \
        "the original report is kept unchanged, marked as superseded"
    done = client.post(f"/measures/{mid}/complete", json={"completed_on": "2022-12-31", "summary": "180 deltakere"},
                       headers=auth())
    assert done.status_code == 200 and done.json()["state"] == "completed"

    wait_until(lambda: pending_count(client.app.state.runtime.db) == 0, what="outbox drained")
    msgs = read_stream(nats_server.url, stream_name("measures"))
    names = [m.subject.removeprefix("kf.ostfold.measures.") for m in msgs]
    assert names == ["measure.proposed", "measure.input_received", "measure.revised", "measure.adopted",
                     "measure.ownership_accepted", "measure.started", "measure.effect_expected",
                     "measure.effect_reported", "measure.effect_reported", "measure.completed"]
    assert all(m.headers["Nats-Msg-Id"] == m.event["id"] and m.event["subject"] == mid for m in msgs)
    assert max(Counter(m.event["id"] for m in msgs).values()) == 1
    assert msgs[-2].event["data"]["supersedes_report_id"] == first["id"]
    assert msgs[0].event["data"]["partner_organisation_ids"] == ["org-ks", "org-fagskolen"]

    history = client.get(f"/measures/{mid}/history", headers=auth("viewer")).json()
    assert [h["event_id"] for h in history] == [m.event["id"] for m in msgs], "history is the measure's own events"
    assert history[3]["data"]["decided_by"] == "Styringsgruppen"


def test_bad_input_is_refused_naming_the_field_and_nothing_changes(service_app, nats_server, database_url):
    client = service_app("measures", nats_url=nats_server.url, database_url=database_url)
    db = client.app.state.runtime.db

    def refused(response, status: int, field: str, words: str) -> None:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["errors"][0]["field"] == field, body
        assert words in body["message"], body

    refused(client.post("/measures", json={**MEASURE, "focus_area": "space_travel"}, headers=auth()),
            422, "focus_area", "unknown focus area 'space_travel'")
    refused(client.post("/measures", json={**MEASURE, "title": "  "}, headers=auth()), 422, "title", "")
    assert client.get("/measures", headers=auth("viewer")).json()["total"] == 0

    proposed = client.post("/measures", json=MEASURE, headers=auth()).json()
    refused(client.post(f"/measures/{proposed['id']}/effect-reports", json=REPORT, headers=auth()),
            409, "measure_id", "only for a measure in progress")
    measure = _in_progress(client)
    mid = measure["id"]
    wait_until(lambda: pending_count(db) == 0, what="outbox drained")
    before = len(read_stream(nats_server.url, stream_name("measures")))
    history_before = client.get(f"/measures/{mid}/history", headers=auth("viewer")).json()

    url = f"/measures/{mid}/expected-effects"
    refused(client.post(url, json={**EFFECT, "indicator": "happiness"}, headers=auth()), 422, "indicator",
            "unknown indicator 'happiness'")
    refused(client.post(url, json={**EFFECT, "target": -5}, headers=auth()), 422, "target", "zero or more")
    refused(client.post(url, json={**EFFECT, "target_date": "2019-12-31"}, headers=auth()), 422, "target_date",
            "before baseline_date")
    refused(client.post(url, json={**EFFECT, "unit": "kroner"}, headers=auth()), 422, "unit", "people")
    refused(client.post(url, json={**EFFECT, "target": "many"}, headers=auth()), 422, "target", "")

    reports = f"/measures/{mid}/effect-reports"
    refused(client.post(reports, json={**REPORT, "indicator": "gdp"}, headers=auth()), 422, "indicator", "unknown")
    refused(client.post(reports, json={**REPORT, "value": -1}, headers=auth()), 422, "value", "zero or more")
    refused(client.post(reports, json={**REPORT, "period_end": "2020-06-01"}, headers=auth()), 422, "period_end",
            "before period_start")
    refused(client.post(reports, json={**REPORT, "supersedes_report_id": "nope"}, headers=auth()), 422,
            "supersedes_report_id", "no effect report")
    refused(client.post(reports, json={k: v for k, v in REPORT.items() if k != "source"}, headers=auth()), 422,
            "source", "")

    other = _in_progress(client)
    ownership = f"/measures/{other['id']}/ownership"
    refused(client.post(f"/measures/{mid}/stop", json={"reason": ""}, headers=auth()), 422, "reason", "")
    adopted = client.post("/measures", json=MEASURE, headers=auth()).json()
    for path, body in (("inputs", {"text": "x"}), ("revise", {}),
                       ("adopt", {"decided_by": "Styringsgruppen", "rationale": "ok"})):
        client.post(f"/measures/{adopted['id']}/{path}", json=body, headers=auth())
    refused(client.post(f"/measures/{adopted['id']}/ownership", json={"organisation_id": "org-ks"}, headers=auth()),
            422, "mandate_holder_person_id", "named mandate holder")
    refused(client.post(f"/measures/{adopted['id']}/ownership",
                        json={"organisation_id": "org-ks", "mandate_holder_person_id": "p", "accepted_on": "2999-01-01"},
                        headers=auth()), 422, "accepted_on", "in the future")
    assert client.get(f"/measures/{adopted['id']}", headers=auth("viewer")).json()["state"] == "adopted"
    refused(client.post(ownership, json={"organisation_id": "org-ks", "mandate_holder_person_id": "p"},
                        headers=auth()), 409, "state", "cannot accept ownership")
    refused(client.post(f"/measures/{mid}/complete", json={"completed_on": "2020-04-30"}, headers=auth()), 422,
            "completed_on", "before the measure's previous step")

    first = client.post(reports, json=REPORT, headers=auth()).json()
    client.post(reports, json={**REPORT, "value": 60, "supersedes_report_id": first["id"]}, headers=auth())
    refused(client.post(reports, json={**REPORT, "value": 61, "supersedes_report_id": first["id"]}, headers=auth()),
            409, "supersedes_report_id", "already been superseded")
    refused(client.post(f"/measures/{other['id']}/effect-reports", json={**REPORT, "supersedes_report_id": first["id"]},
                        headers=auth()), 422, "supersedes_report_id", "on this measure")
    refused(client.post(reports, json={**REPORT, "indicator": "people_included", "supersedes_report_id": first["id"]},
                        headers=auth()), 422, "indicator", "keep the indicator")

    assert client.get(url, headers=auth("viewer")).json() == []
    history = client.get(f"/measures/{mid}/history", headers=auth("viewer")).json()
    assert history[:len(history_before)] == history_before and len(history) == len(history_before) + 2, \
        "only the two accepted reports were recorded"
    assert client.get("/measures/nope", headers=auth("viewer")).status_code == 404
    refused(client.get("/measures", params={"focus_area": "space"}, headers=auth("viewer")), 422, "focus_area", "unknown")
    wait_until(lambda: pending_count(db) == 0, what="outbox drained")
    after = read_stream(nats_server.url, stream_name("measures"))
    refused_measures = {other["id"], adopted["id"]}
    own = [m for m in after[before:] if m.event["subject"] not in refused_measures]
    assert [m.subject.rsplit(".", 1)[1] for m in own] == ["effect_reported", "effect_reported"]


def test_listing_filters_pages_and_roles(service_app, nats_server):
    client = service_app("measures", nats_url=nats_server.url)
    for i in range(3):
        client.post("/measures", json={**MEASURE, "title": f"EVU {i}"}, headers=auth())
    inclusion = client.post("/measures", json={**MEASURE, "title": "Språkpraksis", "focus_area": "inclusion"},
                            headers=auth()).json()
    client.post(f"/measures/{inclusion['id']}/inputs", json={"text": "Bra"}, headers=auth())

    listed = client.get("/measures", params={"focus_area": "lifelong_learning", "limit": 2}, headers=auth("viewer")).json()
    assert listed["total"] == 3 and len(listed["items"]) == 2
    second = client.get("/measures", params={"focus_area": "lifelong_learning", "limit": 2, "offset": 2},
                        headers=auth("viewer")).json()
    assert len(second["items"]) == 1
    assert {m["title"] for m in listed["items"] + second["items"]} == {"EVU 0", "EVU 1", "EVU 2"}
    in_review = client.get("/measures", params={"state": "in_review"}, headers=auth("viewer")).json()
    assert [m["title"] for m in in_review["items"]] == ["Språkpraksis"]
    assert client.get("/measures", params={"state": "dreaming"}, headers=auth("viewer")).status_code == 422
    indicators = {i["id"] for i in client.get("/indicators", headers=auth("viewer")).json()}
    assert {"apprenticeships", "evu_participants", "people_included", "companies_reached"} <= indicators

    assert client.get("/measures").status_code == 401
    assert client.post("/measures", json=MEASURE, headers=auth("viewer")).status_code == 403
    assert client.get("/measures", headers=auth("other_region")).status_code == 403
    assert client.get("/measures", headers=auth("viewer")).json()["total"] == 4


def test_the_service_documents_its_api_and_events(service_app, nats_server):
    client = service_app("measures", nats_url=nats_server.url)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "nats": True}
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/measures", "/measures/{measure_id}/history", "/measures/{measure_id}/effect-reports",
            "/people/{person_id}/notifications"} <= paths.keys()
    addresses = {c["address"] for c in client.get("/asyncapi.json").json()["channels"].values()}
    assert {f"kf.ostfold.measures.measure.{e}" for e in (
        "proposed", "input_received", "revised", "adopted", "rejected", "ownership_accepted", "started",
        "effect_expected", "effect_reported", "completed", "stopped")} <= addresses


def test_figures_beyond_a_million_million_and_dates_outside_1900_to_2999_are_refused(service_app, nats_server,
                                                                                      database_url):
    # Two reports of 1.5e308 overflowed the region's effect KPI: +Inf on SQLite (not restored by a correction), a
    # dead-lettered report on PostgreSQL. The event contracts take at most 1e12 and the years 1900 to 2999.
    client = service_app("measures", nats_url=nats_server.url, database_url=database_url)
    db = client.app.state.runtime.db
    figure = "must be between -1,000,000,000,000 and 1,000,000,000,000"
    day = "must be a date from 1900-01-01 to 2999-12-31"

    def refused(response, field: str, message: str) -> None:
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [{"field": field, "message": message}], response.json()
        assert response.json()["message"] == f"{field}: {message}"

    refused(client.post("/measures", json={**MEASURE, "proposed_on": "0001-01-01"}, headers=auth()), "proposed_on", day)
    refused(client.post("/measures", json={**MEASURE, "proposed_on": "1899-12-31"}, headers=auth()), "proposed_on", day)
    assert client.get("/measures", headers=auth("viewer")).json()["total"] == 0
    mid = _in_progress(client)["id"]
    wait_until(lambda: pending_count(db) == 0, what="outbox drained")
    events_before = len(read_stream(nats_server.url, stream_name("measures")))
    history_before = client.get(f"/measures/{mid}/history", headers=auth("viewer")).json()

    effects, reports = f"/measures/{mid}/expected-effects", f"/measures/{mid}/effect-reports"
    for change, field, message in (({"baseline": 1.5e308}, "baseline", figure), ({"target": 1e12 + 1}, "target", figure),
                                   ({"baseline": -(10 ** 13)}, "baseline", figure),
                                   ({"baseline_date": "1899-12-31"}, "baseline_date", day),
                                   ({"target_date": "3000-01-01"}, "target_date", day)):
        refused(client.post(effects, json={**EFFECT, **change}, headers=auth()), field, message)
    for change, field, message in (({"value": 1.5e308}, "value", figure), ({"value": 1_000_000_000_001}, "value", figure),
                                   ({"period_start": "0001-01-01"}, "period_start", day),
                                   ({"period_end": "9999-12-31"}, "period_end", day)):
        refused(client.post(reports, json={**REPORT, **change}, headers=auth()), field, message)
    refused(client.post(f"/measures/{mid}/complete", json={"completed_on": "3000-01-01"}, headers=auth()),
            "completed_on", day)
    assert client.get(effects, headers=auth("viewer")).json() == []
    assert client.get(reports, headers=auth("viewer")).json() == []
    assert client.get(f"/measures/{mid}", headers=auth("viewer")).json()["state"] == "in_progress"
    assert client.get(f"/measures/{mid}/history", headers=auth("viewer")).json() == history_before

    # The edges themselves are figures and dates the events take.
    edge = client.post(effects, json={**EFFECT, "baseline": 0, "target": 1e12, "target_date": "2999-12-31"},
                       headers=auth())
    assert edge.status_code == 201, edge.text
    largest = client.post(reports, json={**REPORT, "value": 1e12}, headers=auth())
    assert largest.status_code == 201, largest.text
    wait_until(lambda: pending_count(db) == 0, what="outbox drained")
    published = read_stream(nats_server.url, stream_name("measures"))[events_before:]
    assert [(m.subject.rsplit(".", 1)[1], m.event["data"].get("target", m.event["data"].get("value"))) for m in published] \
        == [("effect_expected", 1e12), ("effect_reported", 1e12)]
