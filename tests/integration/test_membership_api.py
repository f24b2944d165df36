"""The membership service over HTTP, on a real nats-server and on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from kf.contracts.subjects import stream_name
from kf.testing.fixtures import auth
from kf.testing.streams import read_stream, wait_until

ORG = {"name": "Høgskolen i Østfold", "org_number": "974 760 673", "sector": "university_college", "municipality": "Halden"}


def _register_member(client):
    org = client.post("/organisations", json=ORG, headers=auth()).json()
    person = client.post("/people", json={"name": "Kari Nordmann", "email": "kari@example.no", "organisation_id": org["id"],
                                          "role_kind": "leader", "title": "Rektor"}, headers=auth()).json()
    group = client.post("/groups", json={"name": "Kompetansegruppe livslang læring", "kind": "competence",
                                         "focus_area": "lifelong_learning"}, headers=auth()).json()
    joined = client.post("/memberships", json={"person_id": person["id"], "group_id": group["id"], "role": "leader",
                                               "joined_on": "2020-02-01"}, headers=auth())
    return org, person, group, joined


def test_registering_a_member_publishes_events_once(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    org, person, group, joined = _register_member(client)
    assert joined.status_code == 201, joined.text
    membership = joined.json()
    assert membership["joined_on"] == "2020-02-01" and membership["left_on"] is None

    msgs = wait_until(lambda: (m := read_stream(nats_server.url, stream_name("membership"))) and len(m) >= 4 and m,
                      what="four events on KF_MEMBERSHIP")
    types = [m.event["type"] for m in msgs]
    assert types == ["no.kompetanseforum.organisation.registered.v1", "no.kompetanseforum.person.registered.v1",
                     "no.kompetanseforum.group.formed.v1", "no.kompetanseforum.member.joined.v1"]
    joined_event = msgs[3]
    assert joined_event.subject == "kf.ostfold.membership.member.joined"
    assert joined_event.headers["Nats-Msg-Id"] == joined_event.event["id"]
    data = joined_event.event["data"]
    assert data["person_id"] == person["id"] and data["sector"] == "university_college" and data["role_kind"] == "leader"
    # Personal data never reaches the event log.
    raw = b"".join(m.data for m in msgs)
    assert b"Kari" not in raw and b"kari@example.no" not in raw


def test_bad_input_is_refused_with_the_field_named_and_nothing_changes(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    bad_check_digit = client.post("/organisations", json={**ORG, "org_number": "974760674"}, headers=auth())
    assert bad_check_digit.status_code == 422
    assert bad_check_digit.json()["errors"][0]["field"] == "org_number"
    assert "check digit" in bad_check_digit.json()["message"]

    unknown_sector = client.post("/organisations", json={**ORG, "sector": "church"}, headers=auth())
    assert unknown_sector.status_code == 422 and unknown_sector.json()["errors"][0]["field"] == "sector"

    unknown_org = client.post("/people", json={"name": "Per", "email": "per@example.no", "organisation_id": "nope",
                                               "role_kind": "employee"}, headers=auth())
    assert unknown_org.status_code == 422 and unknown_org.json()["errors"][0]["field"] == "organisation_id"

    malformed = client.post("/organisations", content=b"{not json", headers={**auth(), "content-type": "application/json"})
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "body"

    oversized = client.post("/organisations", content=b"x" * 2_000_000, headers={**auth(), "content-type": "application/json"})
    assert oversized.status_code == 413

    deep = client.post("/organisations", content=b"[" * 100 + b"]" * 100, headers={**auth(), "content-type": "application/json"})
    assert deep.status_code == 400 and deep.json()["error"] == "too_deep"

    assert client.get("/organisations", headers=auth("viewer")).json()["total"] == 0

    org, person, group, joined = _register_member(client)
    twice = client.post("/memberships", json={"person_id": person["id"], "group_id": group["id"]}, headers=auth())
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "person_id"

    unknown_group = client.post("/memberships", json={"person_id": person["id"], "group_id": "missing"}, headers=auth())
    assert unknown_group.status_code == 422 and unknown_group.json()["errors"][0]["field"] == "group_id"

    left = client.post(f"/memberships/{joined.json()['id']}/leave", json={"left_on": "2021-01-01"}, headers=auth())
    assert left.status_code == 200 and left.json()["left_on"] == "2021-01-01"
    again = client.post(f"/memberships/{joined.json()['id']}/leave", json={}, headers=auth())
    assert again.status_code == 409 and "not in this group" in again.json()["message"]

    wrong_area = client.post("/groups", json={"name": "X", "kind": "competence", "focus_area": "space_travel"}, headers=auth())
    assert wrong_area.status_code == 422 and wrong_area.json()["errors"][0]["field"] == "focus_area"

    memberships = client.get("/memberships", params={"person_id": person["id"]}, headers=auth("viewer")).json()
    assert memberships["total"] == 1


def test_a_date_outside_the_years_of_the_event_contracts_is_refused_naming_the_field(service_app, nats_server):
    """The membership events bound their dates to 1900-2999; the API took 0001-01-01 and would now fail building the
    event (a 500): it refuses it first, naming the field, and nothing changes."""
    client = service_app("membership", nats_url=nats_server.url)
    org, person, group, joined = _register_member(client)
    membership_id = joined.json()["id"]
    for path, body, field, words in (
            ("/memberships", {"person_id": person["id"], "group_id": group["id"], "joined_on": "0001-01-01"}, "joined_on",
             "must be a date from 1900-01-01 to 2999-12-31"),
            (f"/memberships/{membership_id}/mandate", {"confirmed_on": "1899-12-31"}, "confirmed_on", "1900-01-01"),
            (f"/memberships/{membership_id}/leave", {"left_on": "9999-12-31"}, "left_on", "to 2999-12-31")):
        response = client.post(path, json=body, headers=auth())
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] == field and words in response.json()["message"], response.json()
    after = client.get(f"/memberships/{membership_id}", headers=auth("viewer")).json()
    assert (after["joined_on"], after["left_on"], after["mandate_confirmed_on"]) == ("2020-02-01", None, None)
    msgs = wait_until(lambda: (m := read_stream(nats_server.url, stream_name("membership"))) and len(m) >= 4 and m,
                      what="the member's events on KF_MEMBERSHIP")
    assert len(msgs) == 4

def test_erasing_a_person_removes_personal_data_and_ends_memberships(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    org, person, group, joined = _register_member(client)
    erased = client.delete(f"/people/{person['id']}", headers=auth())
    assert erased.status_code == 204
    after = client.get(f"/people/{person['id']}", headers=auth("viewer")).json()
    assert after["name"] is None and after["email"] is None and after["erased_at"] is not None
    assert client.get(f"/memberships/{joined.json()['id']}", headers=auth("viewer")).json()["left_on"] is not None
    assert client.get("/people", headers=auth("viewer")).json()["total"] == 0
    msgs = wait_until(lambda: (m := read_stream(nats_server.url, stream_name("membership"))) and len(m) >= 6 and m,
                      what="erasure events")
    assert [m.event["type"].split(".")[2:4] for m in msgs[-2:]] == [["member", "left"], ["person", "erased"]]


def test_roles_and_regions_are_enforced(service_app, nats_server):
    client = service_app("membership", nats_url=nats_server.url)
    assert client.get("/organisations").status_code == 401
    assert client.get("/organisations", headers={"Authorization": "Bearer wrong-token-xxxxxxxx"}).status_code == 401
    assert client.post("/organisations", json=ORG, headers=auth("viewer")).status_code == 403
    assert client.get("/organisations", headers=auth("other_region")).status_code == 403
    assert client.get("/organisations", params={"region": "vestfold-telemark"}, headers=auth("viewer")).status_code == 403
    assert client.post("/organisations", json=ORG, headers=auth("admin")).status_code == 201
    assert client.get("/organisations", headers=auth("viewer")).json()["total"] == 1


def test_operations_endpoints(service_app, nats_server):
    client = service_app("membership", nats_url=nats_server.url)
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "nats": True}
    client.post("/organisations", json=ORG, headers=auth())
    metrics = client.get("/metrics").text
    assert 'kf_http_requests_total{method="POST",route="/organisations",status="201"} 1.0' in metrics
    wait_until(lambda: "kf_events_published_total" in client.get("/metrics").text, what="published counter")
    asyncapi = client.get("/asyncapi.json").json()
    addresses = {c["address"] for c in asyncapi["channels"].values()}
    assert "kf.ostfold.membership.member.joined" in addresses
    assert "/organisations" in client.get("/openapi.json").json()["paths"]


def test_an_unexpected_failure_answers_500_with_an_incident_changes_nothing_and_is_counted(service_app, nats_server):
    client = service_app("membership", nats_url=nats_server.url)
    runtime = client.app.state.runtime

    def broken_outbox(*_args, **_kwargs):
        raise RuntimeError("outbox table locked by /var/lib/secret-path")

    runtime.record = broken_outbox  # fails after the organisation row was added, before the commit
    failed = client.post("/organisations", json=ORG, headers=auth())
    assert failed.status_code == 500
    body = failed.json()
    assert "incident" in body["message"] and "nothing was changed" in body["message"]
    assert "secret-path" not in failed.text and "Traceback" not in failed.text
    del runtime.record

    assert client.get("/organisations", headers=auth()).json()["total"] == 0
    assert 'kf_http_requests_total{method="POST",route="/organisations",status="500"} 1.0' in client.get("/metrics").text
    assert client.post("/organisations", json=ORG, headers=auth()).status_code == 201  # the same input, once it works


def test_a_member_cannot_leave_in_the_future(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    org, person, group, joined = _register_member(client)
    membership_id = joined.json()["id"]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = client.post(f"/memberships/{membership_id}/leave", json={"left_on": tomorrow}, headers=auth())
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "left_on"
    assert "left_on cannot be in the future" in future.json()["message"]
    assert client.get(f"/memberships/{membership_id}", headers=auth("viewer")).json()["left_on"] is None
    # So the person cannot be back at once with two memberships counted active until that date.
    rejoin = client.post("/memberships", json={"person_id": person["id"], "group_id": group["id"]}, headers=auth())
    assert rejoin.status_code == 409
    today = client.post(f"/memberships/{membership_id}/leave", json={}, headers=auth())
    assert today.status_code == 200 and today.json()["left_on"] == date.today().isoformat()


def test_a_rejoin_cannot_start_inside_an_earlier_membership(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    org, person, group, joined = _register_member(client)  # joined 2020-02-01
    membership_id = joined.json()["id"]
    left = client.post(f"/memberships/{membership_id}/leave", json={"left_on": "2021-01-01"}, headers=auth())
    assert left.status_code == 200
    rejoin = {"person_id": person["id"], "group_id": group["id"]}
    for joined_on in ("2020-06-01", "2020-02-01", "2019-06-01"):
        inside = client.post("/memberships", json={**rejoin, "joined_on": joined_on}, headers=auth())
        assert inside.status_code == 409 and inside.json()["errors"][0]["field"] == "joined_on", inside.text
        assert "(2020-02-01 to 2021-01-01)" in inside.json()["message"]
        assert "on or after 2021-01-01" in inside.json()["message"]
    assert client.get("/memberships", params={"person_id": person["id"]}, headers=auth("viewer")).json()["total"] == 1

    again = client.post("/memberships", json={**rejoin, "joined_on": "2021-01-01"}, headers=auth())
    assert again.status_code == 201, again.text
    spans = client.get("/memberships", params={"person_id": person["id"]}, headers=auth("viewer")).json()["items"]
    assert [(m["joined_on"], m["left_on"]) for m in spans] == [("2020-02-01", "2021-01-01"), ("2021-01-01", None)]


def test_an_email_is_stored_lower_cased_even_when_only_its_case_changes(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    org, person, group, joined = _register_member(client)  # kari@example.no
    changed = client.patch(f"/people/{person['id']}", json={"email": "Kari@Example.no"}, headers=auth())
    assert changed.status_code == 200 and changed.json()["email"] == "kari@example.no"
    twin = client.post("/people", json={"name": "Kari Olsen", "email": "kari@example.no", "organisation_id": org["id"],
                                        "role_kind": "employee"}, headers=auth())
    assert twin.status_code == 409 and twin.json()["errors"][0]["field"] == "email"
    assert client.get("/people", headers=auth("viewer")).json()["total"] == 1


def test_the_name_search_takes_percent_underscore_and_backslash_literally(service_app, nats_server, database_url):
    client = service_app("membership", nats_url=nats_server.url, database_url=database_url)
    names = {"974760673": "NAV Østfold", "971526920": "Rør_og_Varme AS", "923609016": "100% Vekst",
             "889640782": "Back\\slash AS"}
    for number, name in names.items():
        registered = client.post("/organisations", json={**ORG, "org_number": number, "name": name}, headers=auth())
        assert registered.status_code == 201

    def found(q: str) -> list[str]:
        page = client.get("/organisations", params={"q": q}, headers=auth("viewer")).json()
        return [o["name"] for o in page["items"]]

    assert found("_") == ["Rør_og_Varme AS"]
    assert found("%") == ["100% Vekst"]
    assert found("\\") == ["Back\\slash AS"]
    assert found("0%") == ["100% Vekst"]
    assert found("n_v") == []  # `_` is not "any one character": NAV does not match
    assert found("nav") == ["NAV Østfold"]


def test_an_organisation_number_in_other_digits_than_ascii_is_refused_not_registered_again(service_app, nats_server):
    # str.isdigit() took Arabic-Indic and fullwidth digits, so 974760673 registered once per script; superscript
    # digits answered Python's own "invalid literal for int()".
    client = service_app("membership", nats_url=nats_server.url)
    assert client.post("/organisations", json=ORG, headers=auth()).status_code == 201
    for number in ("٩٧٤٧٦٠٦٧٣", "９７４７６０６７３", "97476067³"):
        refused = client.post("/organisations", json={**ORG, "org_number": number}, headers=auth())
        assert refused.status_code == 422, (number, refused.text)
        assert refused.json()["errors"] == [{"field": "org_number",
                                             "message": "must be 9 digits (a Norwegian organisation number)"}]
    listed = client.get("/organisations", headers=auth("viewer")).json()
    assert [o["org_number"] for o in listed["items"]] == ["974760673"]
