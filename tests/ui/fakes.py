"""An in-process stand-in for the four services, for AppTest runs that need answers no seeded stack gives
(a share goal, an as-of date before a baseline, a refused token, a service that times out, an empty region).

`FakeServices` replaces `httpx.request`, the one call `ui/apiclient.py` makes; each route returns
`(status, body)` or raises an `httpx` error, and every request is recorded in `calls`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

REGION = json.loads((Path(__file__).resolve().parents[2] / "kf" / "regiondata" / "ostfold.json").read_text())
URLS = {name: f"http://fake-{name}" for name in ("membership", "events", "measures", "metrics")}
UNITS = {"members": "members", "organisations": "organisations", "sectors_represented": "sectors",
         "sector_diversity": "0–1", "mandate_share": "share", "decision_maker_share": "share",
         "gatherings_held": "gatherings", "attendances": "attendances", "cross_sector_ties": "pairs",
         "network_density": "0–1", "members_active_share": "share", "communications_published": "communications",
         "communication_reach": "people", "measures_proposed": "measures", "measures_adopted": "measures",
         "measures_rejected": "measures", "measures_anchored": "measures", "measures_completed": "measures",
         "adoption_rate": "share", "median_days_to_decision": "days", "effect_target_attainment": "share"}
VALUES = {"members": 1234, "organisations": 23, "sectors_represented": 7, "sector_diversity": 0.8765,
          "mandate_share": 0.4567, "decision_maker_share": 0.3, "gatherings_held": 20, "attendances": 300,
          "cross_sector_ties": 41, "network_density": 0.25, "members_active_share": 0.5,
          "communications_published": 12, "communication_reach": 5400, "measures_proposed": 27,
          "measures_adopted": 10, "measures_rejected": 3, "measures_anchored": 6, "measures_completed": 2,
          "adoption_rate": 0.7692, "median_days_to_decision": 12.5, "effect_target_attainment": 0.6667}

Route = Callable[[dict[str, str]], tuple[int, Any]]


def kpis(params: dict[str, str], **values: float) -> list[dict]:
    """What `GET /kpis` answers: every catalogue KPI (and the region's effects), `values` overriding the defaults."""
    answer = [{"id": kpi_id, "name": kpi_id, "unit": unit, "value": values.get(kpi_id, VALUES[kpi_id])}
              for kpi_id, unit in UNITS.items()]
    answer += [{"id": f"effect.{i['id']}", "name": i["name_en"], "unit": i["unit"],
                "value": values.get(f"effect.{i['id']}", 5.0)} for i in REGION["indicators"]]
    for kpi in answer:
        kpi.update(focus_area=params.get("focus_area"), as_of=params.get("as_of", "2025-06-30"))
    return answer


def goal(goal_id: str = "g1", kpi: str = "members", title: str = "Flere medlemmer",
         focus_area: str | None = "relevant_competence", **evaluation: Any) -> dict:
    """A goal as `GET /goals` answers it, evaluated on track unless `evaluation` says otherwise."""
    numbers = {"status": "on_track", "method": "linear", "direction": "increase", "as_of": "2025-06-30",
               "current_value": 1234.0, "progress": 0.5, "expected_progress": 0.4, "forecast": 1500.0, "ratio": 1.1,
               "observations": [], "slope_per_year": 250.0, "intercept": 1000.0, "years_elapsed": 0.5,
               "years_total": 2.0, "cagr_observed": None, "cagr_required": None, "explanation": "an engine formula"}
    numbers.update(evaluation)
    return {"goal_id": goal_id, "region": "ostfold", "title": title, "kpi": kpi, "focus_area": focus_area,
            "baseline_value": 1000.0, "baseline_date": "2025-01-01", "target_value": 1500.0,
            "target_date": "2026-12-31", "method": numbers["method"], "retired": False, "evaluation": numbers}


def page(items: list[dict]) -> dict:
    return {"items": items, "total": len(items), "limit": 500, "offset": 0}


def unknown_focus_area(params: dict[str, str]) -> tuple[int, Any] | None:
    """The real API's refusal of a focus area that is not in the region's configuration (None when it is)."""
    area = params.get("focus_area")
    if area is None or area in {f["id"] for f in REGION["focus_areas"]}:
        return None
    message = f"unknown focus area {area!r}"
    return 422, {"error": "invalid", "message": message, "errors": [{"field": "focus_area", "message": message}]}


def series(params: dict[str, str]) -> tuple[int, Any]:
    """`GET /kpis/{id}/series` with the real API's rules: a period may not end before it starts, and a focus area
    must be in the region's configuration."""
    if refused := unknown_focus_area(params):
        return refused
    if params.get("to", "") < params.get("from", ""):
        return 422, {"error": "invalid", "message": "to must be on or after from",
                     "errors": [{"field": "to", "message": "to must be on or after from"}]}
    return 200, {"points": [{"date": "2025-03-31", "value": 1100.0}, {"date": "2025-06-30", "value": 1234.0}]}


class FakeServices:
    """Answers the dashboard's requests from `routes` keyed by (service, path); records each request."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.routes: dict[tuple[str, str], Route] = {
            ("membership", "/focus-areas"): lambda p: (200, REGION["focus_areas"]),
            ("membership", "/organisations"): lambda p: (200, page([{"id": "o1", "name": "Borregaard AS"}])),
            ("membership", "/people"): lambda p: (200, page([])),
            ("membership", "/groups"): lambda p: (200, page([])),
            ("measures", "/indicators"): lambda p: (200, REGION["indicators"]),
            ("measures", "/measures"): lambda p: (200, page([])),
            ("metrics", "/kpis"): lambda p: unknown_focus_area(p) or (200, kpis(p)),
            ("metrics", "/goals"): lambda p: (200, [goal()]),
            ("metrics", "/network"): lambda p: (200, {"nodes": [], "ties": [], "sectors": []}),
            ("events", "/gatherings"): lambda p: (200, page([])),
            ("events", "/communications"): lambda p: (200, page([])),
        }

    def requests_to(self, service: str, method: str | None = None) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["service"] == service and (method is None or c["method"] == method)]

    def __call__(self, method: str, url: str, params: dict | None = None, json: Any = None,
                 headers: dict | None = None, timeout: float | None = None) -> httpx.Response:
        service = next((name for name, base in URLS.items() if str(url).startswith(base)), "")
        path = urlparse(str(url)).path
        params = {k: str(v) for k, v in (params or {}).items()}
        self.calls.append({"method": method, "service": service, "path": path, "params": params, "body": json,
                           "headers": dict(headers or {})})
        route = self.routes.get((service, path))
        if route is None and path.startswith("/kpis/") and path.endswith("/series"):
            route = series
        request = httpx.Request(method, str(url), params=params)
        if route is None:
            return httpx.Response(404, json={"error": "not_found", "message": f"no route {path}"}, request=request)
        status, body = route(params)
        return httpx.Response(status, json=body, request=request)
