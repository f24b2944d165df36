"""Dated counters: what each fact contributes to the KPIs on which day, summed so a KPI as of any date reads a few
hundred rows instead of every fact.

Each entity (a gathering, a communication, a measure, a membership, an organisation's participation, a measure's
effects) contributes signed values to metrics on days, per scope ('' for the whole region, else a focus area):
a gathering +1 `gatherings_held` on its held date; a membership +1 `members` when it starts and -1 when it ends.
A metric as of a date is the sum of the contributions dated on or before it.

When a batch changes an entity, its contributions are recomputed from its rows; the difference to the stored ones
(`mx_contributions`) is added to the sums (`mx_counts`), kept per year, month and day so a date's sum reads the
years before it, the months of its year before it and the days of its month up to it. A measure's contributions
depend on its own row only and are not stored: the difference is taken between its row after and before a batch
(refresh.py), and a rebuild sums them from the rows in SQL (`measure_days`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Float, Integer, String, and_, bindparam, cast, delete, func, insert, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.metrics import store as t
from services.metrics.bulk import executemany

CHUNK = 500
INSERT_ROWS = 20_000
YEAR = timedelta(days=365)

Contribution = dict[tuple[str, str, date], float]  # (scope, metric, day) -> value


def _areas(text: str | None) -> list[str]:
    return [a for a in (text or "").split(",") if a]


def _add(out: Contribution, scopes: Iterable[str], metric: str, day: date | None, value: float) -> None:
    if day is None or not value:
        return
    for scope in scopes:
        k = (scope, metric, day)
        out[k] = out.get(k, 0) + value


def _span(out: Contribution, scopes, metric: str, start: date | None, end: date | None, value: float = 1) -> None:
    """+value from `start` until the day before `end` (for ever without an end)."""
    if start is None or (end is not None and end <= start):
        return
    _add(out, scopes, metric, start, value)
    if end is not None:
        _add(out, scopes, metric, end, -value)


def _union(spans: Iterable[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Merge half-open spans [start, end) (end None = open) into disjoint ones."""
    out: list[list] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            if out[-1][1] is not None and (end is None or end > out[-1][1]):
                out[-1][1] = end
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _intersect(a: tuple[date, date | None], spans: list[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    out = []
    for start, end in spans:
        s = max(a[0], start)
        e = a[1] if end is None else (end if a[1] is None else min(a[1], end))
        if e is None or e > s:
            out.append((s, e))
    return out


# contributions of each kind of entity (pure) ------------------------------------------------------
def gathering(held_on: date, focus_areas: str | None, attendees: int) -> Contribution:
    out: Contribution = {}
    scopes = ["", *_areas(focus_areas)]
    _add(out, scopes, "gatherings_held", held_on, 1)
    _add(out, scopes, "attendances", held_on, attendees)
    return out


def communication(row) -> Contribution:
    out: Contribution = {}
    scopes = ["", *_areas(row.focus_areas)]
    _add(out, scopes, "communications", row.published_on, 1)
    reach = row.recipients if row.recipients is not None else (row.views if row.views is not None else 0)
    _add(out, scopes, "reach", row.published_on, reach)
    return out


def measure(row) -> Contribution:
    out: Contribution = {}
    scopes = ["", row.focus_area] if row.focus_area else [""]
    for metric, day in (("proposed", row.proposed_on), ("adopted", row.adopted_on), ("rejected", row.rejected_on),
                        ("anchored", row.accepted_on), ("completed", row.completed_on)):
        _add(out, scopes, metric, day, 1)
    decided = row.adopted_on if row.adopted_on is not None else row.rejected_on
    if row.proposed_on is not None and decided is not None:
        _add(out, scopes, f"decision_days:{(decided - row.proposed_on).days}", decided, 1)
    return out


History = list[tuple[date | None, str | None]]  # (since, value) sorted by date; store.py's dated history


def segments(start: date, end: date | None, history: History):
    """[start, end) cut where a dated history's value changes: (segment start, segment end, value). Before the
    history's first row its first value holds."""
    value, rows = history[0][1], iter(history[1:])
    first = start
    for since, v in rows:
        if end is not None and since >= end:
            break
        if since <= start:
            value = v
        elif v != value:
            yield first, since, value
            first, value = since, v
    yield first, end, value


def membership(row, roles: History, sectors: History, areas: History, attended: list[date]) -> Contribution:
    """Active from joined_on until left_on, in its group's focus area, its organisation's sector and with its
    person's role kind of each date (the values recorded at joining without a dated history); a mandate counts from
    its date, attendance for 365 days from a gathering."""
    out: Contribution = {}
    if row.joined_on is None or (row.left_on is not None and row.left_on <= row.joined_on):
        return out
    attending = _union((h, h + YEAR) for h in attended)
    for start, end, focus_area in segments(row.joined_on, row.left_on, areas or [(None, None)]):
        scopes = ["", focus_area] if focus_area else [""]
        active = (start, end)
        _span(out, scopes, "members", *active)
        for first, last, sector in segments(start, end, sectors or [(None, row.sector)]):
            _span(out, scopes, f"members:{sector or 'unknown'}", first, last)
        for first, last, role_kind in segments(start, end, roles or [(None, row.role_kind)]):
            if role_kind == "leader":
                _span(out, scopes, "leaders", first, last)
        if row.mandate_on is not None:
            for span in _intersect(active, [(row.mandate_on, None)]):
                _span(out, scopes, "mandated", *span)
        for span in _intersect(active, attending):
            _span(out, scopes, "attending", *span)
    return {k: v for k, v in out.items() if v}  # where segments meet, their ends and starts cancel out


def organisation(spans_by_scope: dict[str, list[tuple[date, date | None]]]) -> Contribution:
    """An organisation takes part while any of its memberships (of the scope's groups) is active."""
    out: Contribution = {}
    for scope, spans in spans_by_scope.items():
        for span in _union(spans):
            _span(out, [scope], "organisations", *span)
    return out


def effects(reports: list, superseded_on: dict[str, date], expectations: list) -> Contribution:
    """A measure's reported effects and expected effects, per scope (the region and each report's focus area).

    A report counts from its period end until a report superseding it has ended its period; an expected effect
    counts from its baseline date and is reached while its measure's total for the indicator meets the target.
    """
    out: Contribution = {}
    spans: dict[tuple[str, str], list[tuple[date, date | None, float]]] = defaultdict(list)  # (scope, indicator)
    for r in reports:
        if r.period_end is None:
            continue
        end = superseded_on.get(r.report_id)
        if end is not None and end <= r.period_end:
            continue
        for scope in ("", r.focus_area) if r.focus_area else ("",):
            _span(out, [scope], f"effect:{r.indicator}", r.period_end, end, r.value)
            spans[(scope, r.indicator)].append((r.period_end, end, r.value))
    for e in expectations:
        for scope in ("", e.focus_area) if e.focus_area else ("",):
            _add(out, [scope], "expectations", e.baseline_date, 1)
            for span in _reached(e, spans.get((scope, e.indicator), [])):
                _span(out, [scope], "expectations_reached", *span)
    return out


def _reached(e, spans: list[tuple[date, date | None, float]]) -> list[tuple[date, date | None]]:
    """The spans from the baseline date on in which the total of the reports meets the target. Without a report
    counting on a day there is no reported total: not reached, even when 0 would meet a decrease target."""
    if e.baseline_date is None:
        return []
    days = sorted({e.baseline_date} | {d for s, end, _ in spans for d in (s, end) if d is not None and d > e.baseline_date})
    out: list[tuple[date, date | None]] = []
    for i, day in enumerate(days):
        counted = [v for s, end, v in spans if s <= day and (end is None or end > day)]
        total = sum(counted)
        met = bool(counted) and (total >= e.target if e.target >= e.baseline else total <= e.target)
        if met:
            nxt = days[i + 1] if i + 1 < len(days) else None
            out.append((day, nxt))
    return _union(out)


# writing ---------------------------------------------------------------------------------------
def replace(s: Session, region: str, contributions: dict[str, Contribution]) -> None:
    """Store these entities' contributions and add their difference to the stored ones into the counts."""
    if not contributions:
        return
    c = t.contributions
    stored: dict[str, Contribution] = defaultdict(dict)
    entities = sorted(contributions)
    for i in range(0, len(entities), CHUNK):
        for entity, scope, metric, day, value in s.execute(_STORED, {"region": region, "ids": entities[i:i + CHUNK]}):
            stored[entity][(scope, metric, day)] = value
    changed = [entity for entity, new in contributions.items() if new != stored.get(entity, {})]
    if not changed:
        return
    for i in range(0, len(changed), CHUNK):
        s.execute(_DELETE, {"region": region, "ids": changed[i:i + CHUNK]})
    executemany(s, _INSERT, [{"region": region, "entity": entity, "scope": scope, "metric": metric, "day": day,
                              "value": value} for entity in changed for (scope, metric, day), value in contributions[entity].items()])
    add(s, region, difference({e: contributions[e] for e in changed}, {e: stored[e] for e in changed if e in stored}))


def add(s: Session, region: str, deltas: dict[tuple[str, str, date], float]) -> None:
    """Add values dated on days, (scope, metric, day) -> value, to the sums of their year, month and day."""
    rows: dict[tuple[str, str, str], float] = defaultdict(float)
    for (scope, metric, day), value in deltas.items():
        if value:
            for period in (f"Y{day.year:04d}", f"M{day.year:04d}-{day.month:02d}", f"D{day.isoformat()}"):
                rows[(scope, metric, period)] += value
    executemany(s, _add_statement(s), [{"region": region, "scope": scope, "metric": metric, "period": period, "value": v}
                                      for (scope, metric, period), v in rows.items() if v])


def difference(after: dict[str, Contribution], before: dict[str, Contribution]) -> dict[tuple[str, str, date], float]:
    """What entities contribute now less what they contributed before, summed per (scope, metric, day)."""
    deltas: dict[tuple[str, str, date], float] = defaultdict(float)
    for entity in after.keys() | before.keys():
        new, old = after.get(entity, {}), before.get(entity, {})
        if new != old:
            for k, v in new.items():
                deltas[k] += v
            for k, v in old.items():
                deltas[k] -= v
    return deltas


def insert_new(s: Session, region: str, contributions: dict[str, Contribution]) -> None:
    """Store the contributions of entities that have none stored yet, without touching the sums (`recount`),
    `INSERT_ROWS` rows at a time: a rebuild's chunk of entities can hold a few hundred thousand."""
    rows: list[dict] = []
    for entity in sorted(contributions):
        for (scope, metric, day), value in contributions[entity].items():
            rows.append({"region": region, "entity": entity, "scope": scope, "metric": metric, "day": day, "value": value})
            if len(rows) >= INSERT_ROWS:
                executemany(s, _INSERT, rows)
                rows = []
    executemany(s, _INSERT, rows)


def recount(s: Session, extra=()) -> None:
    """Every sum per day from the stored contributions and `extra` selects of the same columns (region, scope, day,
    metric, value), then per month from the days and per year from the months (a rebuild's last step: one pass over
    the contributions instead of three)."""
    s.execute(delete(_n))
    rows = union_all(select(_c.c.region, _c.c.scope, _c.c.day, _c.c.metric, _c.c.value), *extra).subquery()
    day = cast(rows.c.day, String)  # ISO text on both databases
    total = func.sum(rows.c.value)
    period = literal("D", String) + func.substr(day, 1, 10)
    s.execute(insert(_n).from_select(
        ["region", "scope", "period", "metric", "value"],
        select(rows.c.region, rows.c.scope, period, rows.c.metric, total)
        .group_by(rows.c.region, rows.c.scope, period, rows.c.metric).having(total != 0)))
    for finer, prefix, length in (("D", "M", 7), ("M", "Y", 4)):
        d = _n.alias("finer")
        period = literal(prefix, String) + func.substr(d.c.period, 2, length)
        total = func.sum(d.c.value)
        s.execute(insert(_n).from_select(
            ["region", "scope", "period", "metric", "value"],
            select(d.c.region, d.c.scope, period, d.c.metric, total).where(d.c.period.like(f"{finer}%"))
            .group_by(d.c.region, d.c.scope, period, d.c.metric).having(total != 0)))


def measure_days(s: Session) -> list:
    """`measure` of every measure row as selects of (region, scope, day, metric, value): the same contributions,
    computed by the database for a rebuild."""
    m = t.measures
    in_area = and_(m.c.focus_area.is_not(None), m.c.focus_area != "")
    decided = func.coalesce(m.c.adopted_on, m.c.rejected_on)
    if s.get_bind().dialect.name == "postgresql":
        days = decided - m.c.proposed_on  # whole days between two dates
    else:
        days = cast(func.julianday(decided) - func.julianday(m.c.proposed_on), Integer)
    dated = [(literal(metric, String), column, column.is_not(None)) for metric, column in (
        ("proposed", m.c.proposed_on), ("adopted", m.c.adopted_on), ("rejected", m.c.rejected_on),
        ("anchored", m.c.accepted_on), ("completed", m.c.completed_on))]
    dated.append((literal("decision_days:", String) + cast(days, String), decided,
                  and_(m.c.proposed_on.is_not(None), decided.is_not(None))))
    one = literal(1.0, Float)
    selects = []
    for metric, day, present in dated:
        selects.append(select(m.c.region, literal("", String), day, metric, one).where(present))
        selects.append(select(m.c.region, m.c.focus_area, day, metric, one).where(present, in_area))
    return selects


def sums(s: Session, region: str, scope: str, as_of: date) -> dict[str, float]:
    """Every metric of a scope summed over the contributions dated on or before `as_of`."""
    y, m = f"{as_of.year:04d}", f"{as_of.month:02d}"
    params = {"region": region, "scope": scope, "y": f"Y{y}", "m0": f"M{y}-", "m": f"M{y}-{m}",
              "d0": f"D{y}-{m}-", "d": f"D{as_of.isoformat()}"}
    return {metric: value for metric, value in s.execute(_SUMS, params)}


def spans_of(s: Session, region: str, scope: str, metric: str, as_of: date) -> set[str]:
    """The entities whose contributions to a metric sum to non-zero as of a date (e.g. organisations taking part)."""
    return {entity for entity, in s.execute(_ACTIVE_ENTITIES, {"region": region, "scope": scope, "metric": metric,
                                                               "as_of": as_of})}


_c, _n = t.contributions, t.counts
_IDS = bindparam("ids", expanding=True)
_STORED = select(_c.c.entity, _c.c.scope, _c.c.metric, _c.c.day, _c.c.value).where(
    _c.c.region == bindparam("region"), _c.c.entity.in_(_IDS))
_DELETE = delete(_c).where(_c.c.region == bindparam("region"), _c.c.entity.in_(_IDS))
_INSERT = insert(_c)
_p = _n.c.period


def _range(low, high, inclusive: bool):
    return select(_n.c.metric, _n.c.value).where(_n.c.region == bindparam("region"), _n.c.scope == bindparam("scope"),
                                                  _p > low, _p <= high if inclusive else _p < high)


# Three index ranges (an OR of them would scan the scope's every row): earlier years, earlier months of the year,
# the days of the month up to the date.
_parts = union_all(_range(literal("Y"), bindparam("y"), False), _range(bindparam("m0"), bindparam("m"), False),
                   _range(bindparam("d0"), bindparam("d"), True)).subquery()
_SUMS = select(_parts.c.metric, func.sum(_parts.c.value)).group_by(_parts.c.metric)
_ACTIVE_ENTITIES = (select(_c.c.entity)
                    .where(_c.c.region == bindparam("region"), _c.c.scope == bindparam("scope"),
                           _c.c.metric == bindparam("metric"), _c.c.day <= bindparam("as_of"))
                    .group_by(_c.c.entity).having(func.sum(_c.c.value) != 0))
_ADD: dict[str, object] = {}


def _add_statement(s: Session):
    dialect = s.get_bind().dialect.name
    stmt = _ADD.get(dialect)
    if stmt is None:
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_n)
        stmt = _ADD[dialect] = ins.on_conflict_do_update(index_elements=[c.name for c in _n.primary_key.columns],
                                                         set_={"value": _n.c.value + ins.excluded.value})
    return stmt
