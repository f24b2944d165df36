"""One metrics deployment serving two regions: a token for one region never reads or changes the
other's data, through `?region=`, the KPI series, the network or the goals."""

from __future__ import annotations

from kf.testing.fixtures import auth
from kf.testing.streams import wait_until

GOAL = {"title": "Flere medlemmer", "kpi": "members", "baseline_value": 1, "baseline_date": "2020-01-01",
        "target_value": 50, "target_date": "2026-12-31"}
OSTFOLD, VT = auth("admin"), auth("other_region")  # admin of ostfold, admin of vestfold-telemark


def test_a_token_sees_and_changes_only_its_own_region(service_app, nats_server):
    client = service_app("metrics", nats_url=nats_server.url, regions="ostfold,vestfold-telemark")
    own = client.post("/goals", json=GOAL, headers=VT)
    assert own.status_code == 201, own.text
    vt_goal = own.json()["goal_id"]
    theirs = client.post("/goals", json={**GOAL, "title": "Østfold-mål"}, headers=OSTFOLD).json()["goal_id"]
    wait_until(lambda: client.get("/goals", headers=VT).status_code == 200, what="goals readable")

    # Reading the other region, by any route that takes a region, is refused.
    for path in ("/kpis", "/kpis/catalogue", "/kpis/members/series", "/network", "/goals", f"/goals/{vt_goal}"):
        assert client.get(path, params={"region": "vestfold-telemark"}, headers=OSTFOLD).status_code == 403, path
        assert client.get(path, params={"region": "ostfold"}, headers=VT).status_code == 403, path
    # Without ?region= each token gets its own region, and never the other's goals.
    assert [g["goal_id"] for g in client.get("/goals", headers=VT).json()] == [vt_goal]
    assert [g["goal_id"] for g in client.get("/goals", headers=OSTFOLD).json()] == [theirs]
    assert client.get(f"/goals/{vt_goal}", headers=OSTFOLD).status_code == 404
    # Changing the other region's goal is refused and changes nothing.
    assert client.put(f"/goals/{vt_goal}", json={**GOAL, "target_value": 60}, headers=OSTFOLD).status_code in (403, 404)
    assert client.delete(f"/goals/{vt_goal}", headers=OSTFOLD).status_code in (403, 404)
    assert client.post("/goals", params={"region": "vestfold-telemark"}, json=GOAL, headers=OSTFOLD).status_code == 403
    after = client.get(f"/goals/{vt_goal}", headers=VT).json()
    assert after["target_value"] == 50 and after["retired"] is False
    assert len(client.get("/goals", headers=VT).json()) == 1
