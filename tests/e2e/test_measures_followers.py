"""End to end over HTTP: a measure from proposal to reported effect, with its workshop input recorded in the
events service and carried over NATS, and its followers notified of every step."""

from __future__ import annotations

from datetime import date

from kf.testing.fixtures import auth
from kf.testing.streams import wait_until

FOLLOWERS = ["p-kari", "p-amir"]


def _state(client, measure_id: str) -> str:
    return client.get(f"/measures/{measure_id}", headers=auth("viewer")).json()["state"]


def test_propose_input_adopt_own_start_report_and_followers_are_notified(service_app, nats_server):
    measures = service_app("measures", nats_url=nats_server.url)
    events = service_app("events", nats_url=nats_server.url)

    measure = measures.post("/measures", json={
        "title": "Flere læreplasser i industrien i Nedre Glomma", "focus_area": "relevant_competence",
        "proposed_on": "2021-01-20", "proposing_group_id": "grp-competence", "contact_person_id": "p-kari",
        "partner_organisation_ids": ["org-nho", "org-borregaard"]}, headers=auth())
    assert measure.status_code == 201, measure.text
    mid = measure.json()["id"]
    for person in FOLLOWERS:
        assert measures.post(f"/measures/{mid}/followers", json={"person_id": person}, headers=auth()).status_code == 201
    again = measures.post(f"/measures/{mid}/followers", json={"person_id": "p-kari"}, headers=auth())
    assert again.status_code == 200, "following twice keeps one follow"

    # The common workshop gives input in the events service; it reaches the measure over JetStream.
    workshop = events.post("/gatherings", json={
        "kind": "workshop", "title": "Felles-samling: verksted om tiltak", "starts_at": "2021-02-10T09:00:00+01:00",
        "ends_at": "2021-02-10T15:00:00+01:00", "place": "Quality Hotel Sarpsborg",
        "focus_areas": ["relevant_competence"]}, headers=auth())
    assert workshop.status_code == 201, workshop.text
    recorded = events.post(f"/gatherings/{workshop.json()['id']}/inputs", json={
        "measure_id": mid, "text": "Involver fagskolen og bedriftene i Rygge", "recorded_on": "2021-02-10"},
        headers=auth())
    assert recorded.status_code == 201, recorded.text
    wait_until(lambda: _state(measures, mid) == "in_review", what="the measure moved into review by workshop input")
    inputs = measures.get(f"/measures/{mid}/inputs", headers=auth("viewer")).json()
    assert [(i["id"], i["gathering_id"]) for i in inputs] == [(recorded.json()["id"], workshop.json()["id"])]

    steps = [("revise", {"revised_on": "2021-03-01"}),
             ("adopt", {"decided_by": "Styringsgruppen", "decided_on": "2021-03-15", "rationale": "Mangel på fagarbeidere"}),
             ("ownership", {"organisation_id": "org-viken", "mandate_holder_person_id": "p-fylkesdirektor",
                            "accepted_on": "2021-04-01"}),
             ("start", {"started_on": "2021-05-01"})]
    for path, body in steps:
        response = measures.post(f"/measures/{mid}/{path}", json=body, headers=auth())
        assert response.status_code == 200, (path, response.text)
    assert measures.post(f"/measures/{mid}/expected-effects", json={
        "indicator": "apprenticeships", "baseline": 120, "baseline_date": "2021-01-01", "target": 160,
        "target_date": "2023-12-31"}, headers=auth()).status_code == 201
    measures.delete(f"/measures/{mid}/followers/p-amir", headers=auth())
    report = measures.post(f"/measures/{mid}/effect-reports", json={
        "indicator": "apprenticeships", "value": 131, "period_start": "2021-04-01", "period_end": "2021-06-30",
        "source": "Udir lærlingstatistikk", "reported_by_person_id": "p-kari"}, headers=auth())
    assert report.status_code == 201, report.text

    kari = measures.get("/people/p-kari/notifications", headers=auth("viewer")).json()
    assert kari["total"] == 6, "input into review, revised, adopted, anchored, started, one effect report"
    newest = kari["items"][0]
    assert newest["kind"] == "effect_reported"
    assert "131" in newest["message"] and "Udir lærlingstatistikk" in newest["message"]
    assert [n["kind"] for n in kari["items"][1:]] == ["status_changed"] * 5
    assert "Styringsgruppen" in kari["items"][3]["message"]
    paged = measures.get("/people/p-kari/notifications", params={"limit": 2, "offset": 4}, headers=auth("viewer")).json()
    assert [n["seq"] for n in paged["items"]] == [n["seq"] for n in kari["items"][4:6]]
    amir = measures.get("/people/p-amir/notifications", headers=auth("viewer")).json()
    assert amir["total"] == 5, "no notification after unfollowing"
    assert measures.delete(f"/measures/{mid}/followers/p-amir", headers=auth()).status_code == 404

    history = measures.get(f"/measures/{mid}/history", headers=auth("viewer")).json()
    assert [h["event_type"] for h in history] == [
        "measure.proposed", "measure.input_received", "measure.revised", "measure.adopted",
        "measure.ownership_accepted", "measure.started", "measure.effect_expected", "measure.effect_reported"]
    assert history[1]["data"]["gathering_id"] == workshop.json()["id"]
    assert date.fromisoformat(history[1]["data"]["received_on"]) == date(2021, 2, 10)
