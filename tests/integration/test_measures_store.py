"""Measures storage on SQLite and PostgreSQL: migrations match the models; concurrent decisions cannot both win."""

from __future__ import annotations

import threading

from kf.runtime.alembic_tools import differences
from kf.runtime.errors import Conflict
from kf.testing.fixtures import auth, migrate
from services.measures import schemas
from services.measures.store import metadata


def test_the_migrations_create_exactly_the_models(database_url):
    migrate("measures", database_url)
    assert differences(metadata, database_url, "measures") == []


def test_two_simultaneous_decisions_on_one_measure_leave_exactly_one(service_app, nats_server, database_url):
    client = service_app("measures", nats_url=nats_server.url, database_url=database_url)
    measure = client.post("/measures", json={"title": "Y-vei til ingeniørutdanning", "focus_area": "relevant_competence"},
                          headers=auth()).json()
    for path in ("inputs", "revise"):
        body = {"text": "Innspill"} if path == "inputs" else {}
        assert client.post(f"/measures/{measure['id']}/{path}", json=body, headers=auth()).status_code in (200, 201)

    usecases = client.app.state.usecases
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(adopt: bool) -> None:
        barrier.wait()
        try:
            usecases.decide(measure["id"], schemas.DecisionIn(decided_by="Styringsgruppen", rationale="Avgjort"),
                            adopt=adopt)
            outcomes.append("adopted" if adopt else "rejected")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(flag,)) for flag in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and outcomes.count("conflict") == 1, outcomes
    winner = next(o for o in outcomes if o != "conflict")
    assert client.get(f"/measures/{measure['id']}", headers=auth("viewer")).json()["state"] == winner
    history = client.get(f"/measures/{measure['id']}/history", headers=auth("viewer")).json()
    assert [h["event_type"] for h in history][-1] == f"measure.{winner}"
    assert sum(h["event_type"] in ("measure.adopted", "measure.rejected") for h in history) == 1
