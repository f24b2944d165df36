"""A small forum seeded through the services' HTTP APIs, for the dashboard tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from kf.demo.membership import org_number
from kf.testing.streams import wait_until
from tests.ui.stack import Stack

ORGANISATIONS = [
    ("Viken fylkeskommune", "county"),
    ("Høgskolen i Østfold", "university_college"),
    ("NAV Øst-Viken", "state_agency"),
    ("Borregaard AS", "business"),
    ("LO i Viken", "union"),
]
# name, organisation index, role kind
PEOPLE = [
    ("Kari Nordmann", 0, "leader"),
    ("Ola Hansen", 1, "expert"),
    ("Ingrid Berg", 2, "employee"),
    ("Lars Moen", 3, "leader"),
    ("Siri Dahl", 4, "elected_representative"),
]


@dataclass
class Seeded:
    organisations: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    memberships: list[dict] = field(default_factory=list)
    gatherings: list[dict] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)


def _ok(response) -> dict:
    assert response.status_code < 300, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    return response.json() if response.content else {}


def seed_membership(stack: Stack, out: Seeded) -> None:
    with stack.client("membership") as http:
        for i, (name, sector) in enumerate(ORGANISATIONS):
            out.organisations.append(_ok(http.post("/organisations", json={
                "name": name, "org_number": org_number(500 + i), "sector": sector})))
        for i, (name, org, role_kind) in enumerate(PEOPLE):
            out.people.append(_ok(http.post("/people", json={
                "name": name, "email": f"person{i}@example.no", "organisation_id": out.organisations[org]["id"],
                "role_kind": role_kind})))
        out.groups.append(_ok(http.post("/groups", json={
            "name": "Kompetansegruppe livslang læring", "kind": "competence", "focus_area": "lifelong_learning"})))
        for i, person in enumerate(out.people):
            membership = _ok(http.post("/memberships", json={
                "person_id": person["id"], "group_id": out.groups[0]["id"], "role": "leader" if i == 0 else "member",
                "joined_on": f"2020-0{1 + i}-01"}))
            if i < 3:
                membership = _ok(http.post(f"/memberships/{membership['id']}/mandate", json={"confirmed_on": "2020-06-01"}))
            out.memberships.append(membership)


def seed_events(stack: Stack, out: Seeded) -> None:
    with stack.client("events") as http:
        # The events service learns people from membership events; wait until it knows all of them.
        wait_until(lambda: all(http.get(f"/directory/people/{p['id']}").status_code == 200 for p in out.people),
                   timeout=30, what="the events service to know the seeded people")
        gathering = _ok(http.post("/gatherings", json={
            "kind": "common_gathering", "title": "Felles-samling mars 2020", "starts_at": "2020-03-10T09:00:00+01:00",
            "ends_at": "2020-03-10T15:00:00+01:00", "place": "Fredrikstad", "focus_areas": ["lifelong_learning"]}))
        out.gatherings.append(_ok(http.post(f"/gatherings/{gathering['id']}/held", json={
            "attendees": [{"person_id": p["id"], "role": "participant"} for p in out.people]})))
        _ok(http.post("/gatherings", json={
            "kind": "workshop", "title": "Verksted om læreplasser", "starts_at": "2030-05-10T09:00:00+02:00",
            "ends_at": "2030-05-10T12:00:00+02:00", "place": "Sarpsborg"}))
        _ok(http.post("/communications", json={
            "channel": "newsletter", "title": "Nyhetsbrev april 2020", "published_at": "2020-04-01T12:00:00+02:00",
            "audience": {"everyone": True}, "recipients": 120}))


def seed_measures(stack: Stack, out: Seeded) -> None:
    with stack.client("measures") as http:
        measure = _ok(http.post("/measures", json={
            "title": "Flere læreplasser i industrien", "focus_area": "relevant_competence",
            "proposing_group_id": out.groups[0]["id"], "proposed_on": "2020-03-01",
            "partner_organisation_ids": [out.organisations[3]["id"], out.organisations[4]["id"]]}))
        path = f"/measures/{measure['id']}"
        _ok(http.post(path + "/inputs", json={"text": "Ta med fagforeningene", "recorded_on": "2020-04-01"}))
        _ok(http.post(path + "/revise", json={"revised_on": "2020-05-01"}))
        _ok(http.post(path + "/adopt", json={"decided_by": "Styringsgruppen", "decided_on": "2020-06-01",
                                             "rationale": "Treffer behovet i industrien"}))
        _ok(http.post(path + "/ownership", json={"organisation_id": out.organisations[3]["id"],
                                                 "mandate_holder_person_id": out.people[3]["id"],
                                                 "accepted_on": "2020-08-01"}))
        _ok(http.post(path + "/start", json={"started_on": "2020-09-01"}))
        _ok(http.post(path + "/expected-effects", json={
            "indicator": "apprenticeships", "baseline": 10, "baseline_date": "2020-09-01", "target": 40,
            "target_date": "2021-12-31"}))
        for end, value in (("2020-12-31", 15), ("2021-03-31", 22)):
            _ok(http.post(path + "/effect-reports", json={
                "indicator": "apprenticeships", "value": value, "period_start": end[:8] + "01", "period_end": end,
                "source": "Udir lærlingstatistikk", "reported_by_person_id": out.people[3]["id"]}))
        out.measures.append(_ok(http.get(path)))
        _ok(http.post("/measures", json={"title": "Kompetanseløft for tillitsvalgte", "focus_area": "lifelong_learning",
                                         "proposed_on": "2020-10-01"}))


def seed_goals(stack: Stack, out: Seeded) -> None:
    with stack.client("metrics", role="admin") as http:
        out.goals.append(_ok(http.post("/goals", json={
            "title": "Ti medlemskap", "kpi": "members", "baseline_value": 0, "baseline_date": "2019-12-31",
            "target_value": 10, "target_date": "2021-12-31", "method": "linear"})))
        out.goals.append(_ok(http.post("/goals", json={
            "title": "40 læreplasser", "kpi": "effect.apprenticeships", "focus_area": "relevant_competence",
            "baseline_value": 10, "baseline_date": "2020-09-01", "target_value": 40, "target_date": "2021-12-31"})))


def seed(stack: Stack) -> Seeded:
    out = Seeded()
    seed_membership(stack, out)
    if stack.has("events"):
        seed_events(stack, out)
    if stack.has("measures"):
        seed_measures(stack, out)
    if stack.has("metrics"):
        seed_goals(stack, out)
        with stack.client("metrics", role="viewer") as http:
            def caught_up() -> bool:
                kpis = {k["id"]: k["value"] for k in http.get("/kpis").json()}
                return (kpis.get("members") == len(PEOPLE)
                        and (not stack.has("events") or kpis.get("gatherings_held") == 1)
                        and (not stack.has("measures") or kpis.get("measures_proposed") == 2))
            wait_until(caught_up, timeout=30, interval=0.2, what="the metrics service to count the seeded data")
    return out
