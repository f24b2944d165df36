"""Two requests that create the same organisation, person or group name at the same moment, on SQLite and
PostgreSQL: one wins, the other gets the same 409 as a duplicate sent later, never a 500."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from kf.testing.fixtures import auth
from services.membership.store import Group, Organisation, Person

ORG = {"name": "NAV Østfold", "org_number": "974760673", "sector": "state_agency"}
ROUNDS = 3


@contextmanager
def _both_checked_before_either_writes(client, model) -> Iterator[None]:
    """Hold each request's first write of a `model` row until the other request has got there too. Both uniqueness
    pre-checks have then run and neither row is committed: the race only the unique constraint can catch, every
    round rather than by chance. On SQLite a unit of work holds the write lock from its start, so the second
    request's pre-check runs after the first commits and this race cannot happen: the requests are only sent at once."""
    if client.app.state.runtime.db.engine.dialect.name == "sqlite":
        yield
        return
    barrier = threading.Barrier(2)

    def gate(session, _flush_context, _instances) -> None:
        if any(isinstance(row, model) for row in (*session.new, *session.dirty)):
            barrier.wait(timeout=10)

    sessions = client.app.state.runtime.db.sessions
    event.listen(sessions, "before_flush", gate)
    try:
        yield
    finally:
        event.remove(sessions, "before_flush", gate)


def _at_once(client, model, *requests: tuple[str, str, dict]) -> list:
    responses: list = [None] * len(requests)

    def send(i: int, method: str, path: str, body: dict) -> None:
        responses[i] = client.request(method, path, json=body, headers=auth())

    with _both_checked_before_either_writes(client, model):
        threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return responses


def _one_won(responses, status: int, field: str, message: str) -> None:
    assert sorted(r.status_code for r in responses) == [status, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["errors"][0]["field"] == field and refused["message"] == message


def test_one_organisation_registered_twice_at_once_gives_one_201_and_one_409(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    for number in ("974760673", "971526920", "923609016"):
        body = {**ORG, "org_number": number}
        responses = _at_once(client, Organisation, ("POST", "/organisations", body), ("POST", "/organisations", body))
        _one_won(responses, 201, "org_number", f"an organisation with number {number} is already registered")
    assert client.get("/organisations", headers=auth("viewer")).json()["total"] == 3


def test_one_person_registered_twice_at_once_gives_one_201_and_one_409(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    org = client.post("/organisations", json=ORG, headers=auth()).json()
    for n in range(ROUNDS):
        body = {"name": "Kari Nordmann", "email": f"kari{n}@example.no", "organisation_id": org["id"],
                "role_kind": "leader"}
        responses = _at_once(client, Person, ("POST", "/people", body), ("POST", "/people", body))
        _one_won(responses, 201, "email", f"a person with e-mail kari{n}@example.no is already registered")
    assert client.get("/people", headers=auth("viewer")).json()["total"] == ROUNDS


def test_two_people_taking_one_email_at_once_gives_one_200_and_one_409(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    org = client.post("/organisations", json=ORG, headers=auth()).json()
    people = [client.post("/people", json={"name": name, "email": f"{name.lower()}@example.no",
                                           "organisation_id": org["id"], "role_kind": "employee"}, headers=auth()).json()
              for name in ("Kari", "Per")]
    for n in range(ROUNDS):
        body = {"email": f"post{n}@example.no"}
        responses = _at_once(client, Person, *(("PATCH", f"/people/{p['id']}", body) for p in people))
        _one_won(responses, 200, "email", f"a person with e-mail post{n}@example.no is already registered")
        emails = [client.get(f"/people/{p['id']}", headers=auth("viewer")).json()["email"] for p in people]
        assert emails.count(f"post{n}@example.no") == 1, emails


def test_one_group_formed_twice_at_once_gives_one_201_and_one_409(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    for n in range(ROUNDS):
        body = {"name": f"Kompetansegruppe {n}", "kind": "competence"}
        responses = _at_once(client, Group, ("POST", "/groups", body), ("POST", "/groups", body))
        _one_won(responses, 201, "name", f"a group named 'Kompetansegruppe {n}' already exists")
    assert client.get("/groups", headers=auth("viewer")).json()["total"] == ROUNDS


def test_two_groups_renamed_to_one_name_at_once_gives_one_200_and_one_409(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    groups = [client.post("/groups", json={"name": name, "kind": "competence"}, headers=auth()).json()
              for name in ("Gruppe A", "Gruppe B")]
    for n in range(ROUNDS):
        body = {"name": f"Inkludering {n}"}
        responses = _at_once(client, Group, *(("PATCH", f"/groups/{g['id']}", body) for g in groups))
        _one_won(responses, 200, "name", f"a group named 'Inkludering {n}' already exists")
        names = [client.get(f"/groups/{g['id']}", headers=auth("viewer")).json()["name"] for g in groups]
        assert names.count(f"Inkludering {n}") == 1, names
