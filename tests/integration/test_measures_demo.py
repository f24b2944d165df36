"""The measures demo seeds realistic measures through the public APIs, with workshop input through the events service."""

from __future__ import annotations

from collections import Counter
from datetime import date

from kf.demo import measures as demo
from kf.demo.client import DemoClient, DemoContext
from kf.testing.fixtures import auth


class _InProcess(DemoClient):
    """The demo client, talking to in-process services instead of URLs."""

    def __init__(self, clients: dict) -> None:
        self.urls = {name: "" for name in clients}
        self.clients = clients

    def get(self, service: str, path: str, **params):
        return self._check(self.clients[service].get(path, params=params, headers=auth()))

    def post(self, service: str, path: str, body: dict | None = None):
        return self._check(self.clients[service].post(path, json=body, headers=auth()))


def _context() -> DemoContext:
    ctx = DemoContext(region="ostfold")
    for key in ("viken", "nav", "nho", "ks", "karrieresenter", "fagskolen", "hiof", "fredrikstad", "moss"):
        ctx.organisations[key] = {"id": f"org-{key}"}
    for i, key in enumerate(["viken", "nav", "nho", "ks", "karrieresenter", "fagskolen", "hiof", "moss"] * 2):
        ctx.people[f"p{i}@demo.no"] = {"id": f"person-{i}", "organisation_id": f"org-{key}"}
    return ctx


def test_demo_seeds_every_state_per_focus_area_with_reports_and_workshop_input(service_app, nats_server):
    measures = service_app("measures", nats_url=nats_server.url)
    events = service_app("events", nats_url=nats_server.url)
    ctx = _context()
    ctx.extra["workshops"] = []
    for day, areas in (("2020-02-12", ["relevant_competence", "lifelong_learning", "inclusion"]),
                       ("2024-06-05", ["relevant_competence", "lifelong_learning", "inclusion"])):
        g = events.post("/gatherings", json={"kind": "workshop", "title": f"Workshop {day}", "place": "Sarpsborg",
                                             "starts_at": f"{day}T09:00:00+01:00", "ends_at": f"{day}T15:00:00+01:00",
                                             "focus_areas": areas}, headers=auth())
        assert g.status_code == 201, g.text
        ctx.extra["workshops"].append({"id": g.json()["id"], "held_on": day, "focus_areas": areas})

    demo.seed(_InProcess({"measures": measures, "events": events}), ctx)

    listed = measures.get("/measures", params={"limit": 500}, headers=auth("viewer")).json()["items"]
    assert len(listed) == len(ctx.extra["measures"]) == 27
    per_area = Counter((m["focus_area"], m["state"]) for m in listed)
    for area in ("relevant_competence", "lifelong_learning", "inclusion"):
        assert {state for (a, state) in per_area if a == area} == set(demo.STATES), area

    # Input went through the events service for every measure past the proposal.
    reviewed = [m for m in listed if m["state"] != "proposed"]
    for m in reviewed:
        inputs = measures.get(f"/measures/{m['id']}/inputs", headers=auth("viewer")).json()
        assert [i["origin"] for i in inputs] == ["workshop"], m["title"]

    running = next(m for m in listed if m["title"] == "Flere læreplasser i industrien i Nedre Glomma")
    assert running["state"] == "in_progress" and running["owner_organisation_id"].startswith("org-")
    reports = measures.get(f"/measures/{running['id']}/effect-reports", params={"include_superseded": True},
                           headers=auth("viewer")).json()
    periods = sorted({date.fromisoformat(r["period_start"]) for r in reports})
    assert periods[0].year == 2020 and periods[-1] == date(2025, 7, 1)
    assert {r["source"] for r in reports} >= {"Udir lærlingstatistikk", "NHO Viken Oslo"}
    corrections = [r for r in reports if r["supersedes_report_id"]]
    assert len(corrections) == 1 and "korrigert" in corrections[0]["source"]

    stopped = [m for m in listed if m["state"] == "stopped"]
    assert all(m["stop_reason"] for m in stopped)
    follows = measures.get(f"/measures/{running['id']}/followers", headers=auth("viewer")).json()
    assert follows["total"] >= 1
    follower = follows["items"][0]["person_id"]
    notes = measures.get(f"/people/{follower}/notifications", headers=auth("viewer")).json()
    assert any(n["kind"] == "effect_reported" for n in notes["items"])
