"""Demo goals: once the metrics service has consumed the demo, the steering group sets goals per focus area
(apprenticeship places, people in continuing education, people included, cross-sector ties…).

The demo data is synthetic, so each goal's target is chosen from the KPI's own trend to show the engine's statuses:
a provisional goal is set, its evaluation read, and the target revised to a round number near the level that gives
the wanted ratio R (revisions are ordinary `goal.revised` events). The decrease goal is left out when the KPI never
stood lower than today, rather than aiming below zero."""

from __future__ import annotations

import math
import time
from datetime import date, timedelta

from kf.demo.client import DemoClient, DemoContext, DemoError

START = date(2019, 3, 1)
TARGET_DATE = date(2027, 12, 31)
# title, KPI, focus area, method, wanted status (R aimed at: on_track 1.3, acceleration_needed 0.8, limited_progress 0.3)
GOALS = [
    ("More apprenticeship places", "effect.apprenticeships", "relevant_competence", "linear", "on_track"),
    ("More people in continuing education", "effect.evu_participants", "lifelong_learning", "linear", "acceleration_needed"),
    ("People included in work", "effect.people_included", "inclusion", "linear", "limited_progress"),
    ("Ties across sectors", "cross_sector_ties", None, "linear", "achieved"),
    ("A broader lifelong-learning group", "members", "lifelong_learning", "cagr", "acceleration_needed"),
    ("Fewer rejected measures", "measures_rejected", None, "linear", "deterioration"),
    ("Newsletter reach this winter", "communication_reach", None, "linear", "insufficient_data"),
]
AIM = {"on_track": 1.3, "acceleration_needed": 0.8, "limited_progress": 0.3}


def _kpis(client: DemoClient, **params) -> dict[str, float | None]:
    return {k["id"]: k["value"] for k in client.get("metrics", "/kpis", **params)}


def wait_for_consumption(client: DemoClient, timeout: float = 180.0) -> dict:
    """Until members (and measures, when the measures service runs) are visible and the KPIs stop changing."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        values = _kpis(client)
        ready = (values.get("members") or 0) > 0 and ("measures" not in client.urls or (values.get("measures_proposed") or 0) > 0)
        if ready and values == last:
            return values
        last = values if ready else None
        time.sleep(1.0)
    raise DemoError(f"demo: the metrics service had not consumed the demo events within {timeout:.0f}s")


def _body(title: str, kpi: str, focus: str | None, method: str, baseline: float, base_date: date, target: float) -> dict:
    return {"title": title, "kpi": kpi, "focus_area": focus, "method": method, "baseline_value": baseline,
            "baseline_date": base_date.isoformat(), "target_value": target, "target_date": TARGET_DATE.isoformat()}


def _value(client: DemoClient, kpi: str, focus: str | None, as_of: date) -> float:
    params = {"as_of": as_of.isoformat(), **({"focus_area": focus} if focus else {})}
    return _kpis(client, **params).get(kpi) or 0.0


def _round_target(target: float) -> float:
    """To two significant figures above 100 (1,181 -> 1,200), else to a whole number."""
    if target >= 100:
        magnitude = 10 ** (len(str(int(target))) - 2)
        return float(round(target / magnitude) * magnitude)
    return float(round(target))


def set_goal(client: DemoClient, title: str, kpi: str, focus: str | None, method: str, wanted: str) -> dict | None:
    today = date.today()
    base_date = today - timedelta(days=20) if wanted == "insufficient_data" else START
    if method == "cagr" or wanted == "deterioration":
        # A growth rate, and a decrease goal, need a baseline above zero: start where the KPI first has a value
        # (for the decrease goal, one below today's, so the trend since then runs the wrong way).
        current = _value(client, kpi, focus, today)
        base_date = next((d for d in (START + timedelta(days=91 * i) for i in range(40)) if d < today
                          and 0 < _value(client, kpi, focus, d) < (current if wanted == "deterioration" else math.inf)),
                         START)
    baseline = _value(client, kpi, focus, base_date)
    current = _value(client, kpi, focus, today)
    if wanted == "deterioration":  # a decrease goal on a KPI that grew
        if baseline <= 0:
            return None  # the KPI never stood lower than today: no honest decrease goal to show
        return client.post("metrics", "/goals", _body(title, kpi, focus, method, baseline, base_date, max(baseline - 1, 0)))
    if wanted == "achieved":  # a whole-number target the KPI has already passed
        return client.post("metrics", "/goals", _body(title, kpi, focus, method, baseline, base_date,
                                                      max(math.floor(baseline + (current - baseline) * 0.8), baseline + 1)))
    goal = client.post("metrics", "/goals", _body(title, kpi, focus, method, baseline, base_date, max(current, baseline) * 2 + 10))
    ev = goal["evaluation"]
    if wanted in AIM and ev.get("forecast") is not None:
        r = AIM[wanted]
        if method == "cagr" and ev.get("cagr_observed", 0) > 0:
            years = ev["years_total"]
            target = baseline * (1 + ev["cagr_observed"] / r) ** years
        elif ev["forecast"] > baseline:
            target = baseline + (ev["forecast"] - baseline) / r
        else:
            return goal
        if target > current:
            # Steering groups set round numbers: a whole number of places, people or ties.
            goal = client.put("metrics", f"/goals/{goal['goal_id']}", _body(title, kpi, focus, method, baseline, base_date,
                                                                              _round_target(target)))
    return goal


def seed(client: DemoClient, ctx: DemoContext) -> None:
    if "metrics" not in client.urls:
        return
    wait_for_consumption(client)
    areas = {f["id"] for f in client.get("membership", "/focus-areas")} if "membership" in client.urls else set()
    known = {k["id"] for k in client.get("metrics", "/kpis/catalogue")}
    statuses = []
    for title, kpi, focus, method, wanted in GOALS:
        if kpi not in known or (focus is not None and focus not in areas):
            continue
        goal = set_goal(client, title, kpi, focus, method, wanted)
        if goal is not None:
            statuses.append(goal["evaluation"]["status"])
    ctx.counts["goals"] = len(statuses)
    ctx.extra["goal_statuses"] = statuses
