"""Reads the dashboard needs, shaped for pages: focus areas, KPIs, KPI series and goals (numbers from metrics)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ui.apiclient import ApiError
from ui.i18n import has_key, t
from ui.shell import Context, fetch, fetch_items


def previous_quarter_end(day: date) -> date:
    """The last day of the quarter before the one `day` falls in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    return date(day.year, first_month, 1) - timedelta(days=1)


def focus_areas(ctx: Context) -> list[dict] | None:
    """The region's focus areas as [{id, name}] in the chosen language (region data from the membership API)."""
    answer = fetch(ctx, "membership", "/focus-areas", region=ctx.region)
    if answer is None:
        return None
    return [{"id": f["id"], "name": f.get(f"name_{ctx.lang}") or f.get("name_nb") or f["id"]} for f in answer]


def kpis(ctx: Context, *, as_of: date | None = None, focus_area: str | None = None) -> dict[str, dict] | None:
    """KPIs by id, as the metrics API computes them for the date."""
    answer = fetch_items(ctx, "metrics", "/kpis", region=ctx.region, focus_area=focus_area,
                         as_of=(as_of or ctx.as_of).isoformat())
    return None if answer is None else {k["id"]: k for k in answer}


def indicators(ctx: Context) -> dict[str, dict] | None:
    """The region's effect indicators by id, named in the chosen language (region data from the measures API)."""
    answer = fetch(ctx, "measures", "/indicators", region=ctx.region)
    if answer is None:
        return None
    return {i["id"]: {**i, "name": i.get(f"name_{ctx.lang}") or i.get("name_nb") or i["id"]} for i in answer}


def kpi_label(ctx: Context, kpi: dict | str) -> str:
    """A KPI's name from the translation table (effects: the region's indicator name), else the API's name.

    The indicator names are read for the context's region and language whenever an effect KPI is named (a cached
    read), so a label never depends on which page ran before or on the language of an earlier run.
    """
    kpi_id = kpi if isinstance(kpi, str) else kpi["id"]
    if has_key(f"kpi.{kpi_id}"):
        return t(f"kpi.{kpi_id}")
    if kpi_id.startswith("effect."):
        indicator = (indicators(ctx) or {}).get(kpi_id.removeprefix("effect."))
        if indicator is not None:
            return indicator["name"]
    return kpi_id if isinstance(kpi, str) else str(kpi.get("name") or kpi_id)


def kpi_units(kpis: dict[str, dict] | None) -> dict[str, str]:
    """Each KPI's unit (`share`, `members`, …) by id, from a `kpis()` answer."""
    return {kpi_id: kpi.get("unit") or "" for kpi_id, kpi in (kpis or {}).items()}


def series(ctx: Context, kpi_id: str, *, start: date, end: date, focus_area: str | None = None,
           interval: str = "month", refusals: list[ApiError] | None = None) -> list[tuple[date, float]] | None:
    """The KPI's value at each interval end between two dates (a refusal goes to `refusals` when given, see fetch)."""
    answer = fetch(ctx, "metrics", f"/kpis/{kpi_id}/series", refusals=refusals, region=ctx.region,
                   focus_area=focus_area, **{"from": start.isoformat(), "to": end.isoformat()}, interval=interval)
    if answer is None:
        return None
    return sorted((date.fromisoformat(p["date"]), float(p["value"])) for p in answer.get("points", [])
                  if p.get("value") is not None)


def goals(ctx: Context) -> list[dict] | None:
    """The region's goals that are not retired, each flattened so its numbers sit at the top level."""
    answer = fetch_items(ctx, "metrics", "/goals", region=ctx.region, as_of=ctx.as_of.isoformat())
    if answer is None:
        return None
    return [flatten_goal(g) for g in answer if not g.get("retired")]


def flatten_goal(goal: dict[str, Any]) -> dict[str, Any]:
    flat = dict(goal)
    nested = goal.get("evaluation")
    if isinstance(nested, dict):
        for name, value in nested.items():
            flat.setdefault(name, value)
    flat.setdefault("id", goal.get("goal_id"))
    flat.setdefault("r", goal.get("ratio", flat.get("ratio")))
    return flat


def activity_start(ctx: Context, kpi_id: str, *, years: int = 10) -> date:
    """The first day of the first year the KPI was above zero (from its yearly series), so charts skip empty years."""
    fallback = date(ctx.as_of.year - 3, 1, 1)
    points = series(ctx, kpi_id, start=date(ctx.as_of.year - years, 1, 1), end=ctx.as_of, interval="year")
    first = next((day for day, value in points or [] if value > 0), None)
    return date(first.year, 1, 1) if first else fallback


def increments(points: list[tuple[date, float]]) -> list[tuple[date, float]]:
    """Per-interval changes of a cumulative series (the first interval counts from zero)."""
    out, previous = [], 0.0
    for day, value in points:
        out.append((day, value - previous))
        previous = value
    return out
