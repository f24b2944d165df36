"""After a batch's facts are written: recompute the dated counters of every entity the batch may have changed.

A membership's contributions read its person's role kind, its group's focus area and its organisation's sector, each
as dated history (store.py), and its person's attendance; an organisation's read all its memberships and their
groups' focus areas; a measure's effects read all its reports and expected effects. So a batch that changes a
person, a group, an organisation, a gathering's attendance or a correcting report refreshes those entities too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from services.metrics import counters
from services.metrics import store as t
from services.metrics import tiecounts

CHUNK = 500
REBUILD_CHUNK = 5000  # entities whose contributions a rebuild holds at once


@dataclass
class Touched:
    """What a batch wrote, by (region, id)."""

    rows: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))  # table name -> keys
    gatherings: dict = field(default_factory=dict)  # (region, gathering id) -> pairs.Replaced
    people: set[tuple[str, str]] = field(default_factory=set)  # attendees of replaced gatherings, old and new
    effect_measures: set[tuple[str, str]] = field(default_factory=set)
    superseded: set[tuple[str, str]] = field(default_factory=set)  # report ids a written report supersedes
    organisations: set[tuple[str, str]] = field(default_factory=set)  # participation to recompute as such
    with_organisations: bool = True  # also the participation of the touched memberships' organisations


def refresh(s: Session, touched: Touched, measures_before: dict[str, dict[str, counters.Contribution]]) -> None:
    """Store the touched entities' contributions and bring the sums up to date. A measure's contributions are a
    function of its own row and are not stored: the sums take the difference between what its row gives now and
    what it gave before the batch (`measures_before`, from `measure_contributions` read before the merges)."""
    for region, contributions in contributions_of(s, touched).items():
        counters.replace(s, region, contributions)
    after = measure_contributions(s, touched.rows.get(t.measures.name, ()))
    for region in after.keys() | measures_before.keys():
        counters.add(s, region, counters.difference(after.get(region, {}), measures_before.get(region, {})))


def measure_contributions(s: Session, keys) -> dict[str, dict[str, counters.Contribution]]:
    """What these measures' rows contribute as stored now, by region and measure id."""
    out: dict[str, dict[str, counters.Contribution]] = defaultdict(dict)
    for region, row in _rows(s, t.measures, "measure_id", keys):
        out[region][row.measure_id] = counters.measure(row)
    return out


def contributions_of(s: Session, touched: Touched) -> dict[str, dict[str, counters.Contribution]]:
    """The current contributions of every entity the batch may have changed, by region and entity (measures aside:
    `refresh`)."""
    out: dict[str, dict[str, counters.Contribution]] = defaultdict(dict)
    for (region, gid), r in touched.gatherings.items():
        out[region][f"g:{gid}"] = counters.gathering(r.held_on, r.focus_areas, len(r.attendees))
    for region, row in _rows(s, t.communications, "communication_id", touched.rows.get(t.communications.name, ())):
        out[region][f"c:{row.communication_id}"] = counters.communication(row)
    _effects(s, touched, out)
    _memberships(s, touched, out)
    return out


def rebuild(s: Session) -> None:
    """Recompute every entity's counters from the fact tables (after a replay or a migration), a chunk of
    entities at a time so memory stays flat, then their sums per period with set-based statements; the tie counts
    come from the pair summary, which must be complete by then."""
    s.execute(delete(t.contributions))
    s.execute(delete(t.counts))
    m = t.memberships
    for table, column in ((t.communications, "communication_id"), (m, "membership_id")):
        keys = sorted(tuple(r) for r in s.execute(select(table.c.region, table.c[column])))
        for chunk in _chunks(keys, REBUILD_CHUNK):
            _insert(s, contributions_of(s, Touched(rows={table.name: set(chunk)}, with_organisations=False)))
    orgs = sorted(tuple(r) for r in s.execute(select(m.c.region, m.c.organisation_id).distinct()
                                              .where(m.c.organisation_id.is_not(None))))
    for chunk in _chunks(orgs, REBUILD_CHUNK):
        _insert(s, contributions_of(s, Touched(organisations=set(chunk))))
    measures = sorted({tuple(r) for table in (t.reports, t.expectations)
                       for r in s.execute(select(table.c.region, table.c.measure_id))})
    for chunk in _chunks(measures, REBUILD_CHUNK):
        _insert(s, contributions_of(s, Touched(effect_measures=set(chunk))))
    g = t.gatherings
    out: dict[str, dict[str, counters.Contribution]] = defaultdict(dict)
    for row in s.execute(select(g.c.region, g.c.gathering_id, g.c.held_on, g.c.focus_areas, g.c.attendees)):
        out[row.region][f"g:{row.gathering_id}"] = counters.gathering(row.held_on, row.focus_areas, row.attendees or 0)
    _insert(s, out)
    counters.recount(s, counters.measure_days(s))  # measures straight from their rows (not stored: `refresh`)
    tiecounts.recount(s)  # the pair summary's counts (tiecounts.py), from the summary as it stands


def _insert(s: Session, out: dict[str, dict[str, counters.Contribution]]) -> None:
    for region, contributions in out.items():
        counters.insert_new(s, region, contributions)


def _effects(s: Session, touched: Touched, out) -> None:
    r, e = t.reports, t.expectations
    measures = set(touched.effect_measures)
    for region, row in _rows(s, r, "report_id", touched.superseded, columns=[r.c.report_id, r.c.measure_id]):
        measures.add((region, row.measure_id))
    for region, ids in _by_region(measures).items():
        for chunk in _chunks(ids):
            reports = s.execute(_REPORTS_OF, {"region": region, "ids": chunk}).all()
            expectations = s.execute(_EXPECTATIONS_OF, {"region": region, "ids": chunk}).all()
            superseded_on = {}
            report_ids = [x.report_id for x in reports]
            for sub in _chunks(report_ids):
                superseded_on.update(s.execute(_SUPERSEDED_ON, {"region": region, "ids": sub}).all())
            by_measure: dict[str, tuple[list, list]] = {mid: ([], []) for mid in chunk}
            for x in reports:
                by_measure[x.measure_id][0].append(x)
            for x in expectations:
                by_measure[x.measure_id][1].append(x)
            for mid, (rs, es) in by_measure.items():
                out[region][f"e:{mid}"] = counters.effects(rs, superseded_on, es)


def _memberships(s: Session, touched: Touched, out) -> None:
    m = t.memberships
    ids: dict[str, set[str]] = defaultdict(set)
    for region, mid in touched.rows.get(m.name, ()):
        ids[region].add(mid)
    for column, keys in ((m.c.person_id, touched.rows.get(t.people.name, set()) | touched.people),
                         (m.c.group_id, touched.rows.get(t.groups.name, ())),
                         (m.c.organisation_id, touched.rows.get(t.organisations.name, ()))):
        for region, values in _by_region(keys).items():
            for chunk in _chunks(values):
                ids[region].update(s.execute(select(m.c.membership_id).where(
                    m.c.region == region, column.in_(chunk))).scalars())
    for region, membership_ids in ids.items():
        rows = []
        for chunk in _chunks(sorted(membership_ids)):
            rows.extend(s.execute(_MEMBERSHIPS, {"region": region, "ids": chunk}))
        people = {r.person_id for r in rows if r.person_id}
        attended: dict[str, list] = defaultdict(list)
        for chunk in _chunks(sorted(people)):
            for person_id, held_on in s.execute(_ATTENDED, {"region": region, "ids": chunk}):
                attended[person_id].append(held_on)
        roles = histories(s, t.person_roles, region, people)
        sectors = histories(s, t.org_sectors, region, {r.organisation_id for r in rows if r.organisation_id})
        areas = histories(s, t.group_areas, region, {r.group_id for r in rows if r.group_id})
        for row in rows:
            out[region][f"m:{row.membership_id}"] = counters.membership(
                row, roles.get(row.person_id, []), sectors.get(row.organisation_id, []), areas.get(row.group_id, []),
                attended.get(row.person_id, []))
        if touched.with_organisations:
            _organisations(s, region, {r.organisation_id for r in rows if r.organisation_id}, out)
    for region, orgs in _by_region(touched.organisations).items():
        _organisations(s, region, set(orgs), out)


def histories(s: Session, table, region: str, ids: set[str]) -> dict[str, counters.History]:
    """The dated history (store.py) of these people, organisations or groups: id -> [(since, value)] by date."""
    ident, value = t.history_columns(table)
    out: dict[str, counters.History] = defaultdict(list)
    for chunk in _chunks(sorted(ids)):
        for key, since, v in s.execute(select(ident, table.c.since, value).where(table.c.region == region, ident.in_(chunk))
                                       .order_by(ident, table.c.since)):
            out[key].append((since, v))
    return out


def _organisations(s: Session, region: str, orgs: set[str], out) -> None:
    """An organisation's participation: the union of its memberships' spans, per scope (its groups' focus area of
    each date)."""
    orgs = sorted(orgs)
    rows = []
    for chunk in _chunks(orgs):
        rows.extend(s.execute(_MEMBERSHIPS_OF_ORGS, {"region": region, "ids": chunk}))
    areas = histories(s, t.group_areas, region, {group_id for *_, group_id in rows if group_id})
    spans: dict[str, dict[str, list]] = {o: defaultdict(list) for o in orgs}
    for org, joined_on, left_on, group_id in rows:
        if joined_on is None or (left_on is not None and left_on <= joined_on):
            continue
        for start, end, focus_area in counters.segments(joined_on, left_on, areas.get(group_id) or [(None, None)]):
            for scope in ("", focus_area) if focus_area else ("",):
                spans[org][scope].append((start, end))
    for org in orgs:
        out[region][f"o:{org}"] = counters.organisation(spans[org])


def _rows(s: Session, table, id_column: str, keys, columns=None):
    for region, ids in _by_region(keys).items():
        for chunk in _chunks(sorted(ids)):
            query = select(*(columns or [table])).where(table.c.region == region, table.c[id_column].in_(chunk))
            for row in s.execute(query):
                yield region, row


def _by_region(keys) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for region, ident in keys:
        out[region].append(ident)
    return out


def _chunks(ids: list, size: int = CHUNK):
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


_IDS = bindparam("ids", expanding=True)
_m, _a, _r, _e = t.memberships, t.attendances, t.reports, t.expectations
_MEMBERSHIPS = select(_m).where(_m.c.region == bindparam("region"), _m.c.membership_id.in_(_IDS))
# Distinct spans only: an organisation's participation is the union of its memberships' spans, and a large
# organisation has many memberships with the same dates.
_MEMBERSHIPS_OF_ORGS = (select(_m.c.organisation_id, _m.c.joined_on, _m.c.left_on, _m.c.group_id)
                        .where(_m.c.region == bindparam("region"), _m.c.organisation_id.in_(_IDS))
                        .group_by(_m.c.organisation_id, _m.c.joined_on, _m.c.left_on, _m.c.group_id))
_ATTENDED = select(_a.c.person_id, _a.c.held_on).where(_a.c.region == bindparam("region"),
                                                     _a.c.person_id.in_(_IDS)).distinct()
_REPORTS_OF = select(_r.c.report_id, _r.c.measure_id, _r.c.focus_area, _r.c.indicator, _r.c.value, _r.c.period_end).where(
    _r.c.region == bindparam("region"), _r.c.measure_id.in_(_IDS))
_EXPECTATIONS_OF = select(_e.c.measure_id, _e.c.focus_area, _e.c.indicator, _e.c.baseline, _e.c.baseline_date,
                          _e.c.target).where(_e.c.region == bindparam("region"), _e.c.measure_id.in_(_IDS))
_SUPERSEDED_ON = (select(_r.c.supersedes_report_id, func.min(_r.c.period_end))
                  .where(_r.c.region == bindparam("region"), _r.c.supersedes_report_id.in_(_IDS))
                  .group_by(_r.c.supersedes_report_id))
