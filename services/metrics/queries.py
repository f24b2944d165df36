"""Reads the fact tables as of a date into `Quantities`, the inputs of the KPI formulas."""

from __future__ import annotations

from collections import defaultdict
from itertools import chain
from datetime import date, timedelta

from sqlalchemy import and_, case, distinct, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import Session

from services.metrics import counters, tiecounts
from services.metrics import store as t
from services.metrics.pairs import gathering_ties
from kf.regiondata import Region
from services.metrics.kpis import PARTS, Quantities, catalogue


def _has_area(column, focus: str | None):
    return column.like(f"%,{focus},%") if focus else True


def _active(m, as_of: date):
    return and_(m.c.joined_on.is_not(None), m.c.joined_on <= as_of, or_(m.c.left_on.is_(None), m.c.left_on > as_of))


def value_as_of(history, ident, region, as_of: date):
    """An entity's value in a dated history (store.py) as of a date, as an SQL expression: the latest row's on or
    before it, else the first row's (NULL without a row)."""
    key, column = t.history_columns(history)
    match = and_(history.c.region == region, key == ident)
    latest = select(column).where(match, history.c.since <= as_of).order_by(history.c.since.desc()).limit(1)
    first = select(column).where(match).order_by(history.c.since).limit(1)
    return case((select(history.c.since).where(match, history.c.since <= as_of).exists(), latest.scalar_subquery()),
                else_=first.scalar_subquery())


def active_memberships(region: str, focus: str | None, as_of: date):
    """Active memberships as of the date (of groups in the focus area on that date when one is given), with the
    organisation's sector and the person's role kind of that date (those recorded at joining without a history)."""
    m = t.memberships
    query = (select(m.c.membership_id, m.c.person_id, m.c.organisation_id, m.c.mandate_on,
                    func.coalesce(value_as_of(t.org_sectors, m.c.organisation_id, m.c.region, as_of), m.c.sector)
                    .label("sector"),
                    func.coalesce(value_as_of(t.person_roles, m.c.person_id, m.c.region, as_of), m.c.role_kind)
                    .label("role_kind"))
             .where(m.c.region == region, _active(m, as_of)))
    if focus:
        query = query.where(value_as_of(t.group_areas, m.c.group_id, m.c.region, as_of) == focus)
    return query.subquery("active")


def org_sectors(s: Session, region: str, as_of: date) -> dict[str, str | None]:
    """Every registered organisation's sector as of the date."""
    o = t.organisations
    return dict(s.execute(select(o.c.organisation_id, value_as_of(t.org_sectors, o.c.organisation_id, o.c.region, as_of))
                          .where(o.c.region == region)).all())


def tie_pairs(region: str, focus: str | None, as_of: date):
    """Every source's ties up to the date: (org_a, org_b, crosses, origin), one row per gathering or measure and pair.

    A gathering ties every two organisations that had people there, across sectors when their attendees' recorded
    sectors are not all one; a measure ties its owner and partners, across sectors when their registered sectors
    differ on its date or on a later date by as-of (tiesectors.py). Per focus area: gatherings tagged with it and
    measures of it.
    """
    x, y, g = t.attendances.alias("x"), t.attendances.alias("y"), t.gatherings
    gatherings = (select(x.c.organisation_id.label("org_a"), y.c.organisation_id.label("org_b"),
                         func.max(case((x.c.sector != y.c.sector, 1), else_=0)).label("crosses"),
                         literal("gathering").label("origin"))
                  .select_from(x.join(y, and_(y.c.region == x.c.region, y.c.gathering_id == x.c.gathering_id,
                                              y.c.organisation_id > x.c.organisation_id)))
                  .where(x.c.region == region, x.c.held_on <= as_of)
                  .group_by(x.c.gathering_id, x.c.organisation_id, y.c.organisation_id))
    if focus:
        gatherings = gatherings.where(x.c.gathering_id.in_(
            select(g.c.gathering_id).where(g.c.region == region, _has_area(g.c.focus_areas, focus))))
    ti, m, h = t.ties, t.measures, t.org_sectors.alias("h")

    def differ(on):  # the two organisations' registered sectors of a date differ
        a, b = (value_as_of(t.org_sectors, org, ti.c.region, on) for org in (ti.c.org_a, ti.c.org_b))
        return and_(a.is_not(None), b.is_not(None), a != b)

    # From the tie's date on (tiesectors.py): on that date, or on a later date by as-of when either moved.
    moved = (select(h.c.since).where(h.c.region == ti.c.region, h.c.organisation_id.in_([ti.c.org_a, ti.c.org_b]),
                                     h.c.since > ti.c.tie_on, h.c.since <= as_of, differ(h.c.since)).exists())
    measures = (select(ti.c.org_a, ti.c.org_b, case((or_(differ(ti.c.tie_on), moved), 1), else_=0).label("crosses"),
                       literal("measure").label("origin"))
                .where(ti.c.region == region, ti.c.origin == "measure", ti.c.tie_on <= as_of))
    if focus:
        measures = measures.where(ti.c.source_id.in_(select(m.c.measure_id).where(m.c.region == region,
                                                                                  m.c.focus_area == focus)))
    return union_all(gatherings, measures)


def source_ties(s: Session, region: str, as_of: date):
    """The same rows as `tie_pairs` (region-wide), gathering ties paired in Python from one ordered read of the
    attendance: a self-join of the attendance is far slower on a large region."""
    a = t.attendances
    current, orgs = None, {}
    for gathering_id, org, sector in s.execute(
            select(a.c.gathering_id, a.c.organisation_id, a.c.sector)
            .where(a.c.region == region, a.c.held_on <= as_of).order_by(a.c.gathering_id)):
        if gathering_id != current:
            for x, y, crosses in gathering_ties(orgs):
                yield x, y, int(crosses), "gathering"
            current, orgs = gathering_id, {}
        orgs.setdefault(org, set()).add(sector)
    for x, y, crosses in gathering_ties(orgs):
        yield x, y, int(crosses), "gathering"
    yield from s.execute(tie_pairs(region, None, as_of).selects[1])


def quantities(s: Session, region: str, focus: str | None, as_of: date, indicators: list[str],
               parts: set[str] | None = None) -> Quantities:
    """Read the parts of the facts the wanted KPIs need (all by default); other fields stay zero.

    Everything but the ties comes from the dated counters in one read; the ties from the pair summaries.
    """
    parts = set(PARTS) if parts is None else parts
    q = Quantities()
    sums = counters.sums(s, region, focus or "", as_of)
    if parts - {"ties"}:
        from_counts(q, sums, indicators)
    if "ties" in parts:
        orgs = {e.removeprefix("o:") for e in counters.spans_of(s, region, focus or "", "organisations", as_of)}
        q.organisations = len(orgs)
        _ties_from_pairs(s, q, region, focus or "", orgs, as_of, sums)
    return q


def from_counts(q: Quantities, v: dict[str, float], indicators: list[str]) -> None:
    """Fill the quantities from the counters' sums as of a date."""
    def n(metric: str) -> int:
        return int(round(v.get(metric, 0)))
    q.members, q.mandated, q.leaders, q.organisations = n("members"), n("mandated"), n("leaders"), n("organisations")
    q.sector_members = {k.removeprefix("members:"): n(k) for k in v if k.startswith("members:") and n(k)}
    q.active_attenders = n("attending")
    q.gatherings_held, q.attendances = n("gatherings_held"), n("attendances")
    q.communications, q.reach = n("communications"), n("reach")
    q.proposed, q.adopted, q.rejected, q.anchored, q.completed = (
        n("proposed"), n("adopted"), n("rejected"), n("anchored"), n("completed"))
    days = sorted((int(k.removeprefix("decision_days:")), n(k)) for k in v if k.startswith("decision_days:"))
    q.decision_days = list(chain.from_iterable([day] * count for day, count in days))
    q.effects = {ind: 0.0 for ind in indicators}
    for k, value in v.items():
        if k.startswith("effect:"):
            q.effects[k.removeprefix("effect:")] = round(value, 9) + 0.0
    q.expectations, q.expectations_reached = n("expectations"), n("expectations_reached")


def quantities_from_facts(s: Session, region: str, focus: str | None, as_of: date, indicators: list[str]) -> Quantities:
    """The same quantities read from the fact tables directly (the counters' reference in tests)."""
    q = Quantities()
    active = active_memberships(region, focus, as_of)
    _members(s, q, active, as_of)
    _participation(s, q, region, active, as_of)
    _gatherings(s, q, region, focus, as_of)
    ties_from_sources(s, q, region, focus, active, as_of)
    _communications(s, q, region, focus, as_of)
    _measures(s, q, region, focus, as_of)
    _effects(s, q, region, focus, as_of, indicators)
    return q


def _members(s: Session, q: Quantities, active, as_of: date) -> None:
    for sector, n, mandated, leaders in s.execute(select(
            active.c.sector, func.count(),
            func.sum(case((and_(active.c.mandate_on.is_not(None), active.c.mandate_on <= as_of), 1), else_=0)),
            func.sum(case((active.c.role_kind == "leader", 1), else_=0))).group_by(active.c.sector)):
        q.sector_members[sector or "unknown"] = n
        q.members += n
        q.mandated += int(mandated or 0)
        q.leaders += int(leaders or 0)
    q.organisations = s.execute(select(func.count(distinct(active.c.organisation_id)))).scalar_one()


def _participation(s: Session, q: Quantities, region: str, active, as_of: date) -> None:
    # Participation counts any held gathering of the region, not only those of the focus area.
    a = t.attendances
    attended = (select(a.c.person_id).where(a.c.region == region, a.c.person_id == active.c.person_id,
                                            a.c.held_on <= as_of, a.c.held_on > as_of - timedelta(days=365)).exists())
    q.active_attenders = s.execute(select(func.count()).select_from(active).where(attended)).scalar_one()


def _gatherings(s: Session, q: Quantities, region: str, focus: str | None, as_of: date) -> None:
    g = t.gatherings
    held = and_(g.c.region == region, g.c.held_on <= as_of, _has_area(g.c.focus_areas, focus))
    q.gatherings_held, q.attendances = (int(v or 0) for v in s.execute(
        select(func.count(), func.sum(g.c.attendees)).where(held)).one())


def ties_from_sources(s: Session, q: Quantities, region: str, focus: str | None, active, as_of: date) -> None:
    """The tie KPIs from every source's ties (the pair summaries' reference in tests)."""
    active_orgs = select(active.c.organisation_id).distinct().scalar_subquery()
    pairs = tie_pairs(region, focus, as_of).subquery("pairs")
    q.cross_sector_ties = s.execute(select(func.count()).select_from(
        select(pairs.c.org_a, pairs.c.org_b).where(pairs.c.crosses == 1).distinct().subquery())).scalar_one()
    q.active_ties = s.execute(select(func.count()).select_from(
        select(pairs.c.org_a, pairs.c.org_b).where(pairs.c.org_a.in_(active_orgs), pairs.c.org_b.in_(active_orgs))
        .distinct().subquery())).scalar_one()


def _ties_from_pairs(s: Session, q: Quantities, region: str, scope: str, orgs: set[str], as_of: date,
                     sums: dict[str, float]) -> None:
    """The tie KPIs of a scope from the merged pair summary (the same numbers as from every source's ties): the
    pairs tied, and tied across sectors, by the date come from its dated counts (tiecounts.py)."""
    pf = t.pair_firsts
    q.cross_sector_ties = int(round(sums.get(tiecounts.CROSS_TIES, 0)))
    tied = and_(pf.c.region == region, pf.c.scope == scope, pf.c.first_on <= as_of)
    others = sorted(set(s.execute(select(t.pair_orgs.c.organisation_id).where(t.pair_orgs.c.region == region)).scalars())
                    - orgs)
    if len(others) <= len(orgs):  # all ties less those with an organisation not taking part
        q.active_ties = int(round(sums.get(tiecounts.TIES, 0))) - (s.execute(select(func.count()).where(
            tied, or_(pf.c.org_a.in_(others), pf.c.org_b.in_(others)))).scalar_one() if others else 0)
    else:
        active = sorted(orgs)
        q.active_ties = s.execute(select(func.count()).where(tied, pf.c.org_a.in_(active), pf.c.org_b.in_(active))).scalar_one()


def _communications(s: Session, q: Quantities, region: str, focus: str | None, as_of: date) -> None:
    c = t.communications
    q.communications, q.reach = s.execute(select(
        func.count(), func.coalesce(func.sum(func.coalesce(c.c.recipients, c.c.views, 0)), 0)).where(
        c.c.region == region, c.c.published_on <= as_of, _has_area(c.c.focus_areas, focus))).one()


def _measures(s: Session, q: Quantities, region: str, focus: str | None, as_of: date) -> None:
    m = t.measures
    in_area = and_(m.c.region == region, m.c.focus_area == focus) if focus else m.c.region == region

    def on_or_before(col):
        return func.sum(case((and_(col.is_not(None), col <= as_of), 1), else_=0))

    row = s.execute(select(on_or_before(m.c.proposed_on), on_or_before(m.c.adopted_on), on_or_before(m.c.rejected_on),
                           on_or_before(m.c.accepted_on), on_or_before(m.c.completed_on)).where(in_area)).one()
    q.proposed, q.adopted, q.rejected, q.anchored, q.completed = (int(v or 0) for v in row)
    decided = func.coalesce(m.c.adopted_on, m.c.rejected_on)
    q.decision_days = sorted((d - p).days for p, d in s.execute(select(m.c.proposed_on, decided).where(
        in_area, m.c.proposed_on.is_not(None), decided.is_not(None), decided <= as_of)))


def _effects(s: Session, q: Quantities, region: str, focus: str | None, as_of: date, indicators: list[str]) -> None:
    totals = effect_totals(s, region, focus, as_of)
    q.effects = {ind: 0.0 for ind in indicators}
    for (_measure, ind), value in totals.items():
        q.effects[ind] = q.effects.get(ind, 0.0) + value
    e = t.expectations
    for measure_id, indicator, baseline, target in s.execute(select(e.c.measure_id, e.c.indicator, e.c.baseline, e.c.target).where(
            e.c.region == region, e.c.baseline_date <= as_of, e.c.focus_area == focus if focus else True)):
        q.expectations += 1
        total = totals.get((measure_id, indicator))  # None: nothing reported (and counted) yet, so not reached
        if total is not None and ((total >= target) if target >= baseline else (total <= target)):
            q.expectations_reached += 1


def effect_totals(s: Session, region: str, focus: str | None, as_of: date) -> dict[tuple[str, str], float]:
    """Sum of reported values per (measure, indicator) up to the date, leaving out superseded reports."""
    r = t.reports
    newer = r.alias("newer")
    superseded = (select(newer.c.report_id).where(newer.c.region == r.c.region, newer.c.supersedes_report_id == r.c.report_id,
                                                  newer.c.period_end <= as_of).exists())
    out: dict[tuple[str, str], float] = defaultdict(float)
    for measure_id, indicator, value in s.execute(
            select(r.c.measure_id, r.c.indicator, func.sum(r.c.value)).where(
                r.c.region == region, r.c.period_end <= as_of, not_(superseded),
                r.c.focus_area == focus if focus else True).group_by(r.c.measure_id, r.c.indicator)):
        out[(measure_id, indicator)] = float(value or 0.0)
    return out


def kpi_values(s: Session, region: Region, focus: str | None, as_of: date) -> dict[str, float | None]:
    """Every KPI of the catalogue as of a date, uncached (tests, replay checks and the benchmark's ground truth)."""
    q = quantities(s, region.id, focus, as_of, [i.id for i in region.indicators])
    return {k.id: k.compute(q) for k in catalogue(region)}


def kpi_values_from_facts(s: Session, region: Region, focus: str | None, as_of: date) -> dict[str, float | None]:
    """The same from the fact tables directly, without counters or pair summaries (the reference in tests)."""
    q = quantities_from_facts(s, region.id, focus, as_of, [i.id for i in region.indicators])
    return {k.id: k.compute(q) for k in catalogue(region)}
