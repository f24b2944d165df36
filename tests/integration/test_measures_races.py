"""Races on one measure over HTTP, on SQLite and PostgreSQL: an effect sent at the moment the measure completes is
either recorded before the completion or refused with a 409; never recorded after it, never a 500."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from kf.runtime.outbox import OUTBOX
from kf.testing.fixtures import auth

ROUNDS = 25
MEASURE = {"title": "Lærlingløftet i Fredrikstad", "focus_area": "relevant_competence",
           "description": "Flere lærebedrifter i industrien"}
STEPS = [("inputs", {"text": "Ta med fagskolen"}), ("revise", {}),
         ("adopt", {"decided_by": "Styringsgruppen", "rationale": "Stort behov for fagarbeidere"}),
         ("ownership", {"organisation_id": "org-nho", "mandate_holder_person_id": "p-nho-leader"}), ("start", {})]
REPORT = {"indicator": "apprenticeships", "value": 12, "period_start": "2021-01-01", "period_end": "2021-03-31",
          "source": "Udir lærlingstatistikk", "reported_by_person_id": "p-reporter"}
EXPECTATION = {"indicator": "apprenticeships", "baseline": 40, "baseline_date": "2021-01-01", "target": 70,
               "target_date": "2023-12-31"}
COMPLETE = {"summary": "30 nye læreplasser"}
# Each request either wins or loses the race with a 409; anything else (a 500) is a defect.
ANSWERS = {"report": (201, 409), "expectation": (201, 409), "complete": (200, 409)}
# An effect is recorded only while the measure runs: none of these may follow its completion.
EFFECTS = {"measure.effect_reported", "measure.effect_expected"}


def _running_measure(client) -> str:
    measure = client.post("/measures", json=MEASURE, headers=auth())
    assert measure.status_code == 201, measure.text
    mid = measure.json()["id"]
    for path, body in STEPS:
        response = client.post(f"/measures/{mid}/{path}", json=body, headers=auth())
        assert response.status_code in (200, 201), (path, response.text)
    return mid


def _at_once(client, calls: dict[str, tuple[str, dict]]) -> dict[str, object]:
    """Send the requests from their own threads, released together; each name gets its response."""
    barrier = threading.Barrier(len(calls))
    responses: dict[str, object] = {}

    def send(name: str, path: str, body: dict) -> None:
        barrier.wait()
        responses[name] = client.post(path, json=body, headers=auth())

    threads = [threading.Thread(target=send, args=(name, *call)) for name, call in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def _after_completion(event_types: list[str]) -> list[str]:
    if "measure.completed" not in event_types:
        return []
    return [t for t in event_types[event_types.index("measure.completed"):] if t in EFFECTS]


def test_an_effect_racing_the_completion_is_recorded_before_it_or_refused(service_app, nats_server, database_url):
    client = service_app("measures", nats_url=nats_server.url, database_url=database_url)
    for _ in range(ROUNDS):
        mid = _running_measure(client)
        responses = _at_once(client, {
            "report": (f"/measures/{mid}/effect-reports", REPORT),
            "expectation": (f"/measures/{mid}/expected-effects", EXPECTATION),
            "complete": (f"/measures/{mid}/complete", COMPLETE)})
        codes = {name: response.status_code for name, response in responses.items()}
        assert all(codes[name] in ANSWERS[name] for name in codes), \
            {name: (response.status_code, response.text) for name, response in responses.items()}

        state = client.get(f"/measures/{mid}", headers=auth("viewer")).json()["state"]
        assert state == ("completed" if codes["complete"] == 200 else "in_progress")
        history = [h["event_type"] for h in client.get(f"/measures/{mid}/history", headers=auth("viewer")).json()]
        with client.app.state.runtime.db.engine.connect() as conn:
            rows = conn.execute(select(OUTBOX.c.subject, OUTBOX.c.payload).order_by(OUTBOX.c.seq)).all()
        outbox = [subject.removeprefix("kf.ostfold.measures.") for subject, payload in rows
                  if json.loads(payload)["subject"] == mid]
        assert outbox == history, "the outbox carries the measure's events in the order of its history"
        assert _after_completion(history) == [], (history, codes)
        # A refused request changed nothing: each accepted one left exactly one event.
        assert history.count("measure.effect_reported") == (codes["report"] == 201), (history, codes)
        assert history.count("measure.effect_expected") == (codes["expectation"] == 201), (history, codes)
        assert history.count("measure.completed") == (codes["complete"] == 200), (history, codes)


def test_two_effect_reports_sent_at_once_are_both_recorded(service_app, nats_server, database_url):
    """Nothing conflicts between two reports on one running measure: both are recorded, on SQLite as on PostgreSQL
    (on SQLite the later one was refused with a 409 when both had read the measure before either wrote)."""
    client = service_app("measures", nats_url=nats_server.url, database_url=database_url)
    for _ in range(10):
        mid = _running_measure(client)
        responses = _at_once(client, {
            "first": (f"/measures/{mid}/effect-reports", REPORT),
            "second": (f"/measures/{mid}/effect-reports", {**REPORT, "value": 7, "period_start": "2021-04-01",
                                                           "period_end": "2021-06-30"})})
        assert {name: r.status_code for name, r in responses.items()} == {"first": 201, "second": 201}, \
            {name: r.text for name, r in responses.items()}
        reports = client.get(f"/measures/{mid}/effect-reports", headers=auth("viewer"))
        assert sorted(r["value"] for r in reports.json()) == [7, 12], reports.text
