"""The metrics service over HTTP, fed by events published onto real JetStream streams, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from bench.history import History, small_forum
from bench.publish import publish, publish_raw, subject_of
from kf.contracts import membership as mb
from kf.contracts.subjects import DEAD_LETTER_STREAM, stream_name
from kf.testing.fixtures import auth
from kf.testing.streams import read_stream, wait_until

AS_OF = "2021-06-30"


def _kpis(client, **params) -> dict:
    response = client.get("/kpis", params=params, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return {k["id"]: k["value"] for k in response.json()}


def _consumed(client, members: int = 3):
    """Each stream's last event of the small forum is in: membership (members), measures (the effect) and events
    (the second communication, published after the gatherings)."""
    def done() -> bool:
        v, now = _kpis(client, as_of=AS_OF), _kpis(client)
        return v["members"] == members and v["effect.apprenticeships"] == 11 and now["communications_published"] == 2
    wait_until(done, what="the forum's events consumed")


def test_kpis_series_and_network_from_published_events(service_app, nats_server, database_url):
    client = service_app("metrics", nats_url=nats_server.url, database_url=database_url)
    publish(nats_server.url, small_forum().events)
    _consumed(client)
    v = _kpis(client, as_of=AS_OF)
    assert (v["members"], v["cross_sector_ties"], v["measures_proposed"], v["adoption_rate"]) == (3, 4, 3, 0.5)
    listed = client.get("/kpis", params={"as_of": AS_OF, "focus_area": "relevant_competence"}, headers=auth("viewer")).json()
    members = next(k for k in listed if k["id"] == "members")
    assert members == {"id": "members", "name": "Members", "focus_area": "relevant_competence", "value": 2,
                       "unit": "members", "as_of": AS_OF}

    only = client.get("/kpis", params={"kpi": ["members", "adoption_rate"], "as_of": AS_OF}, headers=auth("viewer")).json()
    assert [(k["id"], k["value"]) for k in only] == [("members", 3), ("adoption_rate", 0.5)]
    unknown = client.get("/kpis", params={"kpi": "happiness"}, headers=auth("viewer"))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "kpi"

    series = client.get("/kpis/members/series", params={"from": "2020-01-01", "to": "2021-12-31", "interval": "quarter"},
                        headers=auth("viewer")).json()
    assert [(p["date"], p["value"]) for p in series["points"]] == [
        ("2020-03-31", 2), ("2020-06-30", 4), ("2020-09-30", 4), ("2020-12-31", 4),
        ("2021-03-31", 3), ("2021-06-30", 3), ("2021-09-30", 4), ("2021-12-31", 4)]

    network = client.get("/network", params={"as_of": AS_OF}, headers=auth("viewer")).json()
    nodes = {n["id"]: n for n in network["nodes"]}
    assert nodes["o2"]["sector"] == "municipality" and nodes["o2"]["degree"] == 3  # o1, o3 at G1; o4 through X1
    assert nodes["o2"]["betweenness_centrality"] > nodes["o1"]["betweenness_centrality"]  # o2 bridges to o4
    tie = next(t for t in network["ties"] if (t["source"], t["target"]) == ("o2", "o3"))
    assert tie["weight"] == 3 and tie["origins"] == {"gathering": 2, "measure": 1} and tie["cross_sector"]  # G1, G2, X1
    business = next(s for s in network["sectors"] if s["sector"] == "business")
    assert business["active_members"] == 2 and business["decision_makers"] == 0

    metrics = client.get("/metrics").text
    assert 'kf_kpi_value{focus_area="",kpi="measures_proposed",region="ostfold"} 3.0' in metrics
    assert 'kf_events_applied_total{consumer="metrics-membership"}' in metrics


def test_bad_queries_are_refused_with_the_field_named(service_app, nats_server):
    client = service_app("metrics", nats_url=nats_server.url)
    bad_area = client.get("/kpis", params={"focus_area": "space"}, headers=auth("viewer"))
    assert bad_area.status_code == 422 and bad_area.json()["errors"][0]["field"] == "focus_area"
    bad_date = client.get("/kpis", params={"as_of": "2021-13-01"}, headers=auth("viewer"))
    assert bad_date.status_code == 422 and bad_date.json()["errors"][0]["field"] == "as_of"
    for path, params, field in (("/kpis", {"as_of": "9999-12-31"}, "as_of"), ("/goals", {"as_of": "0001-01-01"}, "as_of"),
                                ("/network", {"as_of": "3000-01-01"}, "as_of"),
                                ("/kpis/members/series", {"from": "1899-12-31"}, "from"),
                                ("/kpis/members/series", {"from": "2020-01-01", "to": "9999-12-31"}, "to")):
        far = client.get(path, params=params, headers=auth("viewer"))
        assert far.status_code == 422, (path, params, far.text)
        assert far.json()["errors"][0] == {"field": field, "message": "must be a date from 1900-01-01 to 2999-12-31"}
    assert client.get("/kpis/nope/series", params={"from": "2020-01-01"}, headers=auth("viewer")).status_code == 404
    too_long = client.get("/kpis/members/series", params={"from": "1900-01-01", "to": "2020-01-01"}, headers=auth("viewer"))
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "interval"
    assert client.get("/kpis").status_code == 401
    assert client.get("/kpis", params={"region": "vestfold-telemark"}, headers=auth("viewer")).status_code == 403
    assert client.get("/kpis", headers=auth("other_region")).status_code == 403


GOAL = {"title": "More cross-sector ties", "kpi": "cross_sector_ties", "baseline_value": 0, "baseline_date": "2020-01-01",
        "target_value": 10, "target_date": "2022-12-31", "method": "linear"}


def test_goals_are_set_evaluated_revised_and_retired_with_events(service_app, nats_server, database_url):
    client = service_app("metrics", nats_url=nats_server.url, database_url=database_url)
    publish(nats_server.url, small_forum().events)
    _consumed(client)
    assert client.post("/goals", json=GOAL, headers=auth("coordinator")).status_code == 403

    created = client.post("/goals", json=GOAL, headers=auth("admin"))
    assert created.status_code == 201, created.text
    goal = created.json()
    evaluation = client.get(f"/goals/{goal['goal_id']}", params={"as_of": AS_OF}, headers=auth("viewer")).json()["evaluation"]
    # Month ends 2020-01-31 … 2021-06-30: ties are 0 until August 2020, 3 from September, 4 from January 2021.
    assert [o["value"] for o in evaluation["observations"]] == [0] * 8 + [3] * 4 + [4] * 6
    assert evaluation["current_value"] == 4 and evaluation["progress"] == 0.4
    assert evaluation["status"] in ("on_track", "acceleration_needed", "limited_progress")
    assert evaluation["ratio"] == (evaluation["forecast"] - 0) / 10

    revised = client.put(f"/goals/{goal['goal_id']}", json={**GOAL, "target_value": 3}, headers=auth("admin"))
    assert revised.status_code == 200 and revised.json()["evaluation"]["status"] == "achieved"
    assert [g["goal_id"] for g in client.get("/goals", headers=auth("viewer")).json()] == [goal["goal_id"]]
    assert client.delete(f"/goals/{goal['goal_id']}", headers=auth("admin")).status_code == 204
    assert client.get("/goals", headers=auth("viewer")).json() == []
    assert client.delete(f"/goals/{goal['goal_id']}", headers=auth("admin")).status_code == 404

    msgs = wait_until(lambda: (m := read_stream(nats_server.url, stream_name("metrics"))) and len(m) >= 3 and m,
                      what="goal events on KF_METRICS")
    assert [m.subject for m in msgs] == ["kf.ostfold.metrics.goal.set", "kf.ostfold.metrics.goal.revised",
                                         "kf.ostfold.metrics.goal.retired"]
    assert msgs[1].event["data"]["target_value"] == 3 and msgs[0].headers["Nats-Msg-Id"] == msgs[0].event["id"]


def test_goals_that_cannot_be_evaluated_are_refused(service_app, nats_server):
    client = service_app("metrics", nats_url=nats_server.url)
    cases = [({"kpi": "happiness"}, "kpi"), ({"focus_area": "space"}, "focus_area"),
             ({"method": "cagr"}, "baseline_value"), ({"target_value": 0}, "target_value"),
             ({"target_date": "2019-01-01"}, "target_date"), ({"baseline_value": "many"}, "baseline_value"),
             ({"baseline_date": "1950-01-01"}, "target_date"),  # more than 50 years: too many month ends to read
             # 2 → 20 in a day: a yearly growth rate beyond any float (it once answered 500 after storing the goal)
             ({"method": "cagr", "baseline_value": 2, "target_value": 20, "baseline_date": "2021-01-30",
               "target_date": "2021-01-31"}, "target_date")]
    for change, field in cases:
        response = client.post("/goals", json={**GOAL, **change}, headers=auth("admin"))
        assert response.status_code == 422, (change, response.text)
        assert response.json()["errors"][0]["field"] == field, (change, response.json())
    cagr = client.post("/goals", json={**GOAL, "method": "cagr"}, headers=auth("admin")).json()
    assert "above zero" in cagr["message"]
    assert client.get("/goals", headers=auth("viewer")).json() == []
    assert client.get("/goals/nope", headers=auth("viewer")).status_code == 404


def test_goal_figures_and_dates_outside_the_events_bounds_and_unmeasurable_changes_are_refused(service_app, nats_server):
    # The goal events take figures of at most 1e12 either way and the years 1900 to 2999. A target 5e-324 from the
    # baseline was accepted and its progress and R, divided by that difference, were ±infinity, shown as null.
    client = service_app("metrics", nats_url=nats_server.url)
    figure = "must be between -1,000,000,000,000 and 1,000,000,000,000"
    day = "must be a date from 1900-01-01 to 2999-12-31"
    span = "must differ from baseline_value by at least 0.000001: progress towards a smaller change cannot be measured"
    goal = client.post("/goals", json=GOAL, headers=auth("admin")).json()["goal_id"]
    cases = [({"baseline_value": 1.5e308}, "baseline_value", figure), ({"target_value": -(10 ** 13)}, "target_value", figure),
             ({"target_value": 1e12 + 1}, "target_value", figure),
             ({"baseline_date": "0001-01-01"}, "baseline_date", day), ({"baseline_date": "1899-12-31"}, "baseline_date", day),
             ({"target_date": "3000-01-01"}, "target_date", day),
             ({"baseline_value": 5e-324, "target_value": 0}, "target_value", span),
             ({"baseline_value": 0, "target_value": 5e-324}, "target_value", span),
             ({"baseline_value": 10, "target_value": 10.000000000000002}, "target_value", span)]
    for change, field, message in cases:
        for response in (client.post("/goals", json={**GOAL, **change}, headers=auth("admin")),
                         client.put(f"/goals/{goal}", json={**GOAL, **change}, headers=auth("admin"))):
            assert response.status_code == 422, (change, response.text)
            assert response.json()["errors"] == [{"field": field, "message": message}], (change, response.json())
    assert [(g["goal_id"], g["baseline_value"], g["target_value"], g["baseline_date"])
            for g in client.get("/goals", headers=auth("viewer")).json()] == [(goal, 0, 10, "2020-01-01")]
    unchanged = client.get(f"/goals/{goal}", headers=auth("viewer")).json()
    assert unchanged["target_date"] == GOAL["target_date"] and unchanged["updated_at"] == unchanged["created_at"]

    # The edges are goals the events take, with a finite progress.
    edge = client.post("/goals", json={**GOAL, "baseline_value": -1e12, "target_value": 1e12,
                                       "baseline_date": "1990-01-01", "target_date": "2039-12-31"}, headers=auth("admin"))
    assert edge.status_code == 201, edge.text
    small = client.post("/goals", json={**GOAL, "baseline_value": 0, "target_value": 0.000001}, headers=auth("admin"))
    assert small.status_code == 201, small.text
    assert small.json()["evaluation"]["progress"] == 0
    msgs = wait_until(lambda: (m := read_stream(nats_server.url, stream_name("metrics"))) and len(m) >= 3 and m,
                      what="goal events on KF_METRICS")
    assert [m.subject.rsplit(".", 1)[1] for m in msgs] == ["set", "set", "set"]


def test_a_goal_whose_kpi_left_the_catalogue_does_not_hide_the_others(service_app, nats_server):
    client = service_app("metrics", nats_url=nats_server.url)
    kept = client.post("/goals", json=GOAL, headers=auth("admin")).json()["goal_id"]
    gone = client.post("/goals", json={**GOAL, "kpi": "members"}, headers=auth("admin")).json()["goal_id"]
    # As after the region's data file renamed an indicator: the stored goal names a KPI the region no longer has.
    with client.app.state.runtime.db.transaction() as s:
        s.execute(text("UPDATE goals SET kpi = 'effect.renamed' WHERE goal_id = :id"), {"id": gone})
    listed = client.get("/goals", params={"as_of": AS_OF}, headers=auth("viewer"))
    assert listed.status_code == 200, listed.text
    by_id = {g["goal_id"]: g["evaluation"] for g in listed.json()}
    assert by_id[gone]["status"] == "insufficient_data" and "not in this region's catalogue" in by_id[gone]["explanation"]
    assert len(by_id[kept]["observations"]) == 18  # month ends 2020-01 … 2021-06: evaluated as before
    assert client.get(f"/goals/{gone}", headers=auth("viewer")).status_code == 200


def test_malformed_messages_are_dead_lettered_and_consumption_goes_on(service_app, nats_server):
    client = service_app("metrics", nats_url=nats_server.url)
    h = History()
    h.org("o1", "county")
    publish(nats_server.url, h.events)
    publish_raw(nats_server.url, "kf.ostfold.membership.organisation.registered", b"{not json", "bad-1")
    broken = h.org("o2", "business").model_copy(update={"data": {"organisation_id": "o2", "sector": "church"}})
    publish_raw(nats_server.url, "kf.ostfold.membership.organisation.registered", broken.to_json(), "bad-2")
    unknown = h.org("o3", "business").model_copy(update={"type": "no.kompetanseforum.organisation.merged.v1"})
    publish_raw(nats_server.url, "kf.ostfold.membership.organisation.merged", unknown.to_json(), "unknown-1")
    later = History(start=h.clock)
    later.org("o4", "union")
    later.person("p4", "o4", "union")
    later.group("g1", "inclusion")
    later.join("m4", "g1", "p4", "o4", "union", date(2021, 1, 1))
    publish(nats_server.url, later.events)
    wait_until(lambda: _kpis(client, as_of=AS_OF)["members"] == 1, what="events after the bad ones applied")
    parked = wait_until(lambda: (m := read_stream(nats_server.url, DEAD_LETTER_STREAM)) and len(m) >= 2 and m,
                        what="two messages dead-lettered")
    assert len(parked) == 2
    assert parked[0].data == b"{not json" and parked[0].headers["Kf-Consumer"] == "metrics-membership"
    assert "sector" in parked[1].headers["Kf-Reason"]
    metrics = client.get("/metrics").text
    assert 'kf_events_unknown_type_total{consumer="metrics-membership"} 1.0' in metrics
    assert 'kf_events_dead_lettered_total{consumer="metrics-membership"} 2.0' in metrics


def test_events_that_would_spoil_the_figures_are_dead_lettered_and_the_next_ones_applied(service_app, nats_server,
                                                                                          database_url):
    """Three events the contracts let through once, each on its own stream: a member.joined on vestfold-telemark's
    subject whose envelope says ostfold (counted among ostfold's members), a gathering.held on 9999-12-31 (OverflowError
    on every delivery: the events stream stood still), an effect report of NaN (the effect KPI gone for good). Each is
    dead-lettered with the field named, and the events after them are applied."""
    client = service_app("metrics", nats_url=nats_server.url, database_url=database_url,
                         regions="ostfold,vestfold-telemark")
    h = History()
    h.org("o1", "county")
    h.person("p1", "o1", "county")
    h.group("g1", "inclusion")
    h.join("m1", "g1", "p1", "o1", "county", date(2021, 1, 1))
    h.communication("c1", date(2021, 2, 1), 100)
    h.report("r0", "x1", "relevant_competence", "apprenticeships", 5, date(2021, 3, 31))
    publish(nats_server.url, h.events)

    bad = History(start=h.clock)
    spoofed = bad.join("m-spoofed", "g1", "p-spoofed", "o1", "county", date(2021, 1, 1))
    publish_raw(nats_server.url, mb.MemberJoined.subject("vestfold-telemark"), spoofed.to_json(), spoofed.id)
    held = bad.held("G-far", date(2021, 3, 1), [("p1", "o1", "county")])
    far = held.to_json().replace(b'"held_on":"2021-03-01"', b'"held_on":"9999-12-31"')
    publish_raw(nats_server.url, subject_of(held), far, held.id)
    report = bad.report("r-nan", "x1", "relevant_competence", "apprenticeships", 1.0, date(2021, 4, 30))
    nan = report.to_json().replace(b'"value":1.0', b'"value":NaN')
    publish_raw(nats_server.url, subject_of(report), nan, report.id)
    assert far != held.to_json() and nan != report.to_json()

    later = History(start=bad.clock)
    later.person("p2", "o1", "county")
    later.join("m2", "g1", "p2", "o1", "county", date(2021, 2, 1))
    later.communication("c2", date(2021, 3, 1), 100)
    later.report("r2", "x1", "relevant_competence", "apprenticeships", 2, date(2021, 5, 31))
    publish(nats_server.url, later.events)

    other = {"Authorization": auth("other_region")["Authorization"]}
    wait_until(lambda: _kpis(client)["communications_published"] == 2 and _kpis(client, as_of=AS_OF)["members"] == 2
               and _kpis(client, as_of=AS_OF)["effect.apprenticeships"] == 7,
               what="the events after the bad ones applied")
    parked = wait_until(lambda: (m := read_stream(nats_server.url, DEAD_LETTER_STREAM)) and len(m) >= 3 and m,
                        what="three messages dead-lettered")
    reasons = {m.headers["Kf-Consumer"]: m.headers["Kf-Reason"] for m in parked}
    assert len(parked) == 3 and {m.data for m in parked} == {spoofed.to_json(), far, nan}
    assert reasons["metrics-membership"].startswith("region: the envelope names region 'ostfold', but the event came "
                                                    "on subject 'kf.vestfold-telemark.membership.member.joined'")
    assert reasons["metrics-events"] == ("no.kompetanseforum.gathering.held.v1: held_on: Input should be less than "
                                         "3000-01-01")
    assert reasons["metrics-measures"] == ("no.kompetanseforum.measure.effect_reported.v1: value: Input should be a "
                                           "finite number")
    vestfold = {k["id"]: k["value"] for k in client.get("/kpis", params={"as_of": AS_OF}, headers=other).json()}
    assert vestfold["members"] == 0
    assert _kpis(client, as_of=AS_OF)["members"] == 2

def test_one_instance_serves_several_regions_and_skips_the_others(service_app, nats_server):
    client = service_app("metrics", nats_url=nats_server.url, regions="ostfold,vestfold-telemark")
    for region, members in (("ostfold", 1), ("vestfold-telemark", 2), ("agder", 3)):
        h = History(region=region)
        h.group("g1", None, kind="steering")
        for i in range(members):
            h.join(f"m{i}", "g1", f"p{i}", "o1", "county", date(2021, 1, 1))
        publish(nats_server.url, h.events)
    other = {"Authorization": auth("other_region")["Authorization"]}
    wait_until(lambda: _kpis(client)["members"] == 1 and client.get("/kpis", headers=other).status_code == 200
               and {k["id"]: k["value"] for k in client.get("/kpis", headers=other).json()}["members"] == 2,
               what="both regions' members counted")
    assert client.get("/kpis", params={"region": "ostfold"}, headers=other).status_code == 403
    metrics = client.get("/metrics").text
    assert 'kf_kpi_value{focus_area="",kpi="members",region="vestfold-telemark"} 2.0' in metrics
    assert 'region="agder"' not in metrics
