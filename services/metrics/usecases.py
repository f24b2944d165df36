"""Metrics use cases: KPI values and series, goals (one transaction each, events via the outbox), the network."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime

import networkx as nx
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kf.contracts import metrics as ev
from kf.regiondata import Region, load_region
from kf.runtime.errors import Invalid, NotFound
from kf.runtime.outbox import record_event
from kf.runtime.service import ServiceRuntime
from services.metrics import store as t
from services.metrics.goals import GoalRuleBroken, GoalSpec, check_goal, evaluate, month_ends, period_ends
from services.metrics.kpis import PARTS, Kpi, catalogue
from services.metrics.queries import active_memberships, org_sectors, quantities, source_ties

MAX_POINTS = 600


class KpiCache:
    """KPI values per (region, focus area, date, kinds of KPI read), dropped whenever a consumer commits.

    A value computed while a commit happened is not stored (the generation changed), so the cache never
    serves a value older than the last commit.
    """

    def __init__(self, size: int = 20_000) -> None:
        self._values: dict[tuple, object] = {}
        self._generation = 0
        self._size = size
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()

    def get_or_compute(self, key: tuple, compute):
        with self._lock:
            if key in self._values:
                return self._values[key]
            generation = self._generation
        value = compute()
        with self._lock:
            if generation == self._generation:
                if len(self._values) >= self._size:
                    self._values.clear()
                self._values[key] = value
        return value


class MetricsUseCases:
    def __init__(self, runtime: ServiceRuntime, regions: list[str]) -> None:
        self.rt = runtime
        self.regions = regions
        self.cache = KpiCache()

    # KPIs -------------------------------------------------------------------------------------
    def region(self, region: str) -> Region:
        if region not in self.regions:
            raise Invalid(f"this service does not serve region {region!r}", field="region")
        if region == self.rt.settings.region:
            return self.rt.region
        return load_region(region)

    def check_focus(self, region: str, focus: str | None) -> None:
        if focus is not None and focus not in self.region(region).focus_area_ids():
            raise Invalid(f"unknown focus area {focus!r}; expected one of {sorted(self.region(region).focus_area_ids())}",
                          field="focus_area")

    def kpi(self, region: str, kpi_id: str) -> Kpi:
        for k in catalogue(self.region(region)):
            if k.id == kpi_id:
                return k
        raise NotFound(f"no KPI {kpi_id!r}; see GET /kpis/catalogue")

    def values(self, s: Session, region: str, focus: str | None, as_of: date, kpis: list[Kpi]) -> dict[str, float | None]:
        indicators = [i.id for i in self.region(region).indicators]
        # The dated counters answer every KPI; the ties also read which organisations take part, so KPIs that do
        # not need them (e.g. `?kpi=members`) skip that read.
        groups = frozenset(_read(k) for k in kpis)
        parts = (set(PARTS) - {"ties"} if "counts" in groups else set()) | ({"ties"} if "ties" in groups else set())

        def compute():
            q = quantities(s, region, focus, as_of, indicators, parts)
            return {k.id: k.compute(q) for k in catalogue(self.region(region)) if _read(k) in groups}
        out = self.cache.get_or_compute((region, focus, as_of, groups), compute)
        return {k.id: _clean(out[k.id]) for k in kpis}

    def kpis(self, region: str, focus: str | None, as_of: date | None, only: list[str] | None = None) -> list[dict]:
        self.check_focus(region, focus)
        as_of = as_of or date.today()
        kpis = [k for k in catalogue(self.region(region)) if focus is None or k.per_focus_area]
        if only:
            unknown = sorted(set(only) - {k.id for k in kpis})
            if unknown:
                raise Invalid(f"unknown KPI id(s) {unknown}; see GET /kpis/catalogue", field="kpi")
            kpis = [k for k in kpis if k.id in only]
        with self.rt.db.transaction() as s:
            values = self.values(s, region, focus, as_of, kpis)
        return [{"id": k.id, "name": k.name, "focus_area": focus, "value": values[k.id], "unit": k.unit,
                 "as_of": as_of} for k in kpis]

    def series(self, region: str, kpi_id: str, focus: str | None, start: date, end: date, interval: str) -> dict:
        self.check_focus(region, focus)
        kpi = self.kpi(region, kpi_id)
        if end < start:
            raise Invalid("to must be on or after from", field="to")
        days = period_ends(start, end, interval)
        if len(days) > MAX_POINTS:
            raise Invalid(f"the series would have {len(days)} points; at most {MAX_POINTS} (use a longer interval)",
                          field="interval")
        with self.rt.db.transaction() as s:
            points = [{"date": d, "value": self.values(s, region, focus, d, [kpi])[kpi.id]} for d in days]
        return {"id": kpi.id, "name": kpi.name, "unit": kpi.unit, "focus_area": focus, "interval": interval, "points": points}

    # goals ------------------------------------------------------------------------------------
    def _spec(self, region: str, body) -> GoalSpec:
        kpi = self.kpi_for_goal(region, body.kpi)
        self.check_focus(region, body.focus_area)
        if body.focus_area and not kpi.per_focus_area:
            raise Invalid(f"the KPI {kpi.id} has no value per focus area", field="focus_area")
        spec = GoalSpec(kpi=body.kpi, baseline_value=body.baseline_value, baseline_date=body.baseline_date,
                        target_value=body.target_value, target_date=body.target_date, method=body.method.value)
        try:
            check_goal(spec)
        except GoalRuleBroken as exc:
            raise Invalid(str(exc), field=exc.field) from None
        return spec

    def kpi_for_goal(self, region: str, kpi_id: str) -> Kpi:
        try:
            return self.kpi(region, kpi_id)
        except NotFound:
            ids = sorted(k.id for k in catalogue(self.region(region)))
            raise Invalid(f"unknown KPI {kpi_id!r}; expected one of {ids}", field="kpi") from None

    def _event(self, goal_id: str, body, cls):
        return cls(goal_id=goal_id, title=body.title, kpi=body.kpi, focus_area=body.focus_area,
                   baseline_value=body.baseline_value, baseline_date=body.baseline_date, target_value=body.target_value,
                   target_date=body.target_date, method=body.method)

    def set_goal(self, region: str, body) -> dict:
        self._spec(region, body)
        goal_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        with self.rt.unit_of_work() as s:
            s.execute(insert(t.goals).values(goal_id=goal_id, region=region, retired=False, created_at=now, updated_at=now,
                                             **_fields(body)))
            record_event(s, self._event(goal_id, body, ev.GoalSet), region=region, subject_id=goal_id)
        return self.goal(region, goal_id)

    def revise_goal(self, region: str, goal_id: str, body) -> dict:
        self._spec(region, body)
        with self.rt.unit_of_work() as s:
            self._live(s, region, goal_id)
            s.execute(update(t.goals).where(t.goals.c.goal_id == goal_id).values(updated_at=datetime.now(UTC), **_fields(body)))
            record_event(s, self._event(goal_id, body, ev.GoalRevised), region=region, subject_id=goal_id)
        return self.goal(region, goal_id)

    def retire_goal(self, region: str, goal_id: str) -> None:
        today = date.today()
        with self.rt.unit_of_work() as s:
            self._live(s, region, goal_id)
            s.execute(update(t.goals).where(t.goals.c.goal_id == goal_id).values(
                retired=True, retired_on=today, updated_at=datetime.now(UTC)))
            record_event(s, ev.GoalRetired(goal_id=goal_id, retired_on=today), region=region, subject_id=goal_id)

    def _live(self, s: Session, region: str, goal_id: str):
        row = s.execute(select(t.goals).where(t.goals.c.goal_id == goal_id, t.goals.c.region == region)).first()
        if row is None:
            raise NotFound(f"no goal with id {goal_id!r}")
        if row.retired:
            raise NotFound(f"goal {goal_id!r} was retired on {row.retired_on.isoformat()}")
        return row

    def goals(self, region: str, include_retired: bool = False, as_of: date | None = None) -> list[dict]:
        with self.rt.db.transaction() as s:
            query = select(t.goals).where(t.goals.c.region == region).order_by(t.goals.c.created_at, t.goals.c.goal_id)
            if not include_retired:
                query = query.where(t.goals.c.retired.is_(False))
            return [self._with_status(s, row, as_of or date.today()) for row in s.execute(query)]

    def goal(self, region: str, goal_id: str, as_of: date | None = None) -> dict:
        with self.rt.db.transaction() as s:
            row = s.execute(select(t.goals).where(t.goals.c.goal_id == goal_id, t.goals.c.region == region)).first()
            if row is None:
                raise NotFound(f"no goal with id {goal_id!r}")
            return self._with_status(s, row, as_of or date.today())

    def _with_status(self, s: Session, row, as_of: date) -> dict:
        goal = dict(row._mapping)
        spec = GoalSpec(kpi=row.kpi, baseline_value=row.baseline_value, baseline_date=row.baseline_date,
                        target_value=row.target_value, target_date=row.target_date, method=row.method)
        try:
            kpi = self.kpi(row.region, row.kpi)
        except NotFound:  # the region's data file no longer has its indicator: the other goals are still listed
            ev = evaluate(spec, None, [], as_of)
            ev.explanation = (f"the KPI {row.kpi!r} is not in this region's catalogue (its indicator was renamed or removed "
                              "from the region's data): nothing to evaluate")
            goal["evaluation"] = ev.as_dict()
            return goal
        current = self.values(s, row.region, row.focus_area, as_of, [kpi])[kpi.id]
        observations = [(d, self.values(s, row.region, row.focus_area, d, [kpi])[kpi.id])
                        for d in month_ends(row.baseline_date, min(as_of, row.target_date))]
        goal["evaluation"] = evaluate(spec, current, observations, as_of).as_dict()
        return goal

    # network ----------------------------------------------------------------------------------
    def network(self, region: str, as_of: date | None) -> dict:
        self.region(region)
        as_of = as_of or date.today()
        with self.rt.db.transaction() as s:
            active = active_memberships(region, None, as_of)
            members: dict[str, dict] = {}
            for m in s.execute(select(active)):
                node = members.setdefault(m.organisation_id, {"members": 0, "decision_makers": 0, "sector": m.sector})
                node["members"] += 1
                node["decision_makers"] += m.role_kind == "leader"
            edges: dict[tuple[str, str], dict] = {}
            for a, b, crosses, origin in source_ties(s, region, as_of):
                edge = edges.setdefault((a, b), {"source": a, "target": b, "weight": 0, "origins": {"gathering": 0, "measure": 0},
                                                 "cross_sector": False})
                edge["weight"] += 1
                edge["origins"][origin] += 1
                edge["cross_sector"] = edge["cross_sector"] or bool(crosses)
            known = org_sectors(s, region, as_of)
        graph = nx.Graph()
        ids = sorted(set(members) | {i for edge in edges for i in edge})
        graph.add_nodes_from(ids)
        graph.add_edges_from(edges)
        degree = nx.degree_centrality(graph) if len(ids) > 1 else {i: 0.0 for i in ids}
        between = nx.betweenness_centrality(graph) if ids else {}
        nodes = [{"id": i, "sector": known.get(i) or members.get(i, {}).get("sector"),
                  "active_members": members.get(i, {}).get("members", 0),
                  "decision_makers": members.get(i, {}).get("decision_makers", 0),
                  "degree": graph.degree(i), "degree_centrality": degree[i], "betweenness_centrality": between[i]}
                 for i in ids]
        summary: dict[str, dict] = {}
        for n in nodes:
            row = summary.setdefault(n["sector"] or "unknown", {"sector": n["sector"] or "unknown", "organisations": 0,
                                                                "active_members": 0, "decision_makers": 0})
            row["organisations"] += 1
            row["active_members"] += n["active_members"]
            row["decision_makers"] += n["decision_makers"]
        return {"region": region, "as_of": as_of, "nodes": nodes, "ties": list(edges.values()),
                "sectors": sorted(summary.values(), key=lambda r: r["sector"])}


def _fields(body) -> dict:
    return {"title": body.title, "kpi": body.kpi, "focus_area": body.focus_area, "baseline_value": body.baseline_value,
            "baseline_date": body.baseline_date, "target_value": body.target_value, "target_date": body.target_date,
            "method": body.method.value}


def _read(kpi: Kpi) -> str:
    return "ties" if kpi.needs == "ties" else "counts"


def _clean(value):
    if isinstance(value, float):
        return round(value, 6)
    return value

