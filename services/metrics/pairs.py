"""Ties between organisations, kept as pair summaries so tie KPIs read a few thousand rows.

- `mx_pairs`: per organisation pair and origin (gathering or measure), the first date they were tied and, for
  gatherings, the first date of a tie across sectors. `mx_area_pairs`: the same for gathering ties per focus area.
- A gathering ties every two organisations that had people there; such a tie crosses sectors when the recorded
  sectors of the two organisations' attendees are not all one sector. Gathering ties are not stored one by one:
  they follow from the attendance, from which a pair is recomputed when a corrected report removed the tie that
  gave its first date.
- A measure's ties (owner and partners) are stored per measure in `mx_ties`: there are few, and a focus area's
  tie KPIs read them through the measure's focus area. Such a tie crosses sectors from the first date on or after it
  on which the two organisations' registered sectors differ (tiesectors.py).

New ties only lower first dates (a monotone upsert, whatever the order). Gathering rows are written only by the
events consumer and measure rows only by the measures consumer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.metrics import store as t
from services.metrics import tiecounts
from services.metrics.bulk import executemany
from services.metrics.tiesectors import SectorTimes

CHUNK = 500
_ROWS = 20_000  # measure ties written, and measure rows read, at a time by a rebuild


@dataclass(frozen=True)
class Replaced:
    """A gathering whose newest report replaces what was stored (old_* are None when nothing was)."""

    held_on: date
    focus_areas: str
    attendees: list[dict]
    old_held_on: date | None
    old_focus_areas: str | None


def areas(text: str | None) -> list[str]:
    return [a for a in (text or "").split(",") if a]


def org_sectors(attendees) -> dict[str, set[str]]:
    """Each organisation present with the sectors its attendees were recorded under."""
    out: dict[str, set[str]] = defaultdict(set)
    for a in attendees:
        out[a["organisation_id"]].add(a["sector"])
    return out


def gathering_ties(orgs: dict[str, set[str]]):
    """(org_a, org_b, crosses sectors) for every two organisations present, org_a < org_b."""
    # An organisation whose attendees were recorded under several sectors crosses with anyone: its sector is None.
    sector = {o: next(iter(sectors)) if len(sectors) == 1 else None for o, sectors in orgs.items()}
    for a, b in combinations(sorted(orgs), 2):
        sa, sb = sector[a], sector[b]
        yield a, b, sa is None or sb is None or sa != sb


def _lower(into: dict, key: tuple, on: date, cross: bool) -> None:
    first, first_cross = into.get(key, (None, None))
    into[key] = (on if first is None or on < first else first,
                 on if cross and (first_cross is None or on < first_cross) else first_cross)


# gatherings ------------------------------------------------------------------------------------
def replace_attendance(s: Session, replaced: dict[tuple[str, str], Replaced]) -> None:
    """Only the attendance of these gatherings, not the pair summaries (`derive.derive_all` rebuilds those)."""
    for region, ids in _by_region(list(replaced)).items():
        for chunk in _chunks(ids):
            s.execute(_DELETE_ATTENDANCE, {"region": region, "ids": chunk})
    executemany(s, _INSERT_ATTENDANCE, [
        {"region": region, "gathering_id": gid, "held_on": r.held_on, "person_id": p["person_id"],
         "organisation_id": p["organisation_id"], "sector": p["sector"], "role": p["role"]}
        for (region, gid), r in replaced.items() for p in r.attendees])


def lower_gathering_pairs(s: Session, gatherings) -> None:
    """Lower the pair summaries (overall, per focus area, merged) with the ties of these gatherings, given as
    (region, held on, focus areas, {organisation present: its attendees' recorded sectors})."""
    # Per (region, focus area or None): {(org_a, org_b): (first, first across sectors)}. A rebuild runs the inner
    # loop for millions of ties: `_lower` inlined, and keys built once per tie.
    summaries: dict[tuple[str, str | None], dict[tuple[str, str], tuple]] = {}
    for region, held_on, focus_areas, orgs in gatherings:
        targets = [summaries.setdefault((region, area), {}) for area in (None, *areas(focus_areas))]
        for x, y, cross in gathering_ties(orgs):
            pair = (x, y)
            for into in targets:
                current = into.get(pair)
                if current is None:
                    into[pair] = (held_on, held_on if cross else None)
                elif held_on < current[0] or (cross and (current[1] is None or held_on < current[1])):
                    into[pair] = _lower_pair(*current, held_on, cross)
    new_pairs = {(r, x, y, "gathering"): v for (r, area), by_pair in summaries.items() if area is None
                 for (x, y), v in by_pair.items()}
    new_areas = {(r, area, x, y): v for (r, area), by_pair in summaries.items() if area is not None
                 for (x, y), v in by_pair.items()}
    _lower_pairs(s, new_pairs)
    _lower_area_pairs(s, new_areas)
    _lower_firsts(s, [(r, "", x, y, f, fc) for (r, x, y, _), (f, fc) in new_pairs.items()]
                  + [(r, area, x, y, f, fc) for (r, area, x, y), (f, fc) in new_areas.items()])


def gatherings_replaced(s: Session, replaced: dict[tuple[str, str], Replaced]) -> set[tuple[str, str]]:
    """Replace the attendance of these gatherings and keep the pair summaries in step; returns the people who
    were or now are among the attendees."""
    corrected = [k for k, r in replaced.items() if r.old_held_on is not None]
    old_orgs: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    people = {(region, p["person_id"]) for (region, _), r in replaced.items() for p in r.attendees}
    for region, ids in _by_region(corrected).items():
        for chunk in _chunks(ids):
            for gid, person, org, sector in s.execute(_OLD_ATTENDANCE, {"region": region, "ids": chunk}):
                old_orgs[(region, gid)][org].add(sector)
                people.add((region, person))
    replace_attendance(s, replaced)
    lower_gathering_pairs(s, ((region, r.held_on, r.focus_areas, org_sectors(r.attendees))
                              for (region, _), r in replaced.items()))

    # A removed or moved tie matters only where it gave a pair its first date: recompute those pairs.
    suspects: dict[str, set[tuple[str, str]]] = defaultdict(set)
    old_dates: dict[tuple[str, str, str], set[date]] = defaultdict(set)
    for k in corrected:
        region, r = k[0], replaced[k]
        for x, y, _ in gathering_ties(old_orgs.get(k, {})):
            suspects[region].add((x, y))
            old_dates[(region, x, y)].add(r.old_held_on)
    for region, candidates in suspects.items():
        stale = _stale_pairs(s, region, candidates, old_dates)
        for x, y in sorted(stale):
            recompute_gathering_pair(s, region, x, y)
        recompute_firsts(s, region, pairs=stale)
    return people


def _stale_pairs(s: Session, region: str, candidates: set[tuple[str, str]],
                 old_dates: dict[tuple[str, str, str], set[date]]) -> set[tuple[str, str]]:
    """The candidate pairs whose stored first dates (any origin row or focus area) equal a removed tie's date."""
    stale = set()
    orgs = sorted({x for x, _ in candidates})
    for chunk in _chunks(orgs):
        for stmt in (_GATHERING_PAIRS_OF, _AREA_PAIRS_OF):
            for x, y, first, first_cross in s.execute(stmt, {"region": region, "orgs": chunk}):
                if (x, y) in candidates and ({first, first_cross} & old_dates[(region, x, y)]):
                    stale.add((x, y))
    return stale


def recompute_gathering_pair(s: Session, region: str, x: str, y: str) -> None:
    """A pair's gathering summary (overall and per focus area) from the attendance of every gathering."""
    first = first_cross = None
    per_area: dict[str, tuple] = {}
    shared = dict(s.execute(_SHARED_GATHERINGS, {"region": region, "a": x, "b": y}).all())
    for gathering_id, held_on, focus_areas in s.execute(_GATHERING_DATES, {"region": region, "ids": sorted(shared)}):
        crossed = shared[gathering_id]
        first, first_cross = _lower_pair(first, first_cross, held_on, bool(crossed))
        for area in areas(focus_areas):
            per_area[area] = _lower_pair(*per_area.get(area, (None, None)), held_on, bool(crossed))
    params = {"region": region, "a": x, "b": y}
    s.execute(_DELETE_PAIR, {**params, "origin": "gathering"})
    s.execute(_DELETE_AREA_PAIRS, params)
    if first is not None:
        s.execute(insert(t.pairs), [{"region": region, "org_a": x, "org_b": y, "origin": "gathering",
                                     "first_on": first, "first_cross_on": first_cross}])
    if per_area:
        s.execute(insert(t.area_pairs), [{"region": region, "focus_area": area, "org_a": x, "org_b": y, "first_on": f,
                                          "first_cross_on": fc} for area, (f, fc) in per_area.items()])


def _lower_pair(first, first_cross, on, cross):
    return (on if first is None or on < first else first,
            on if cross and (first_cross is None or on < first_cross) else first_cross)


# measures --------------------------------------------------------------------------------------
def measure_ties(partners: str | None, proposed_on: date | None, owner: str | None,
                 accepted_on: date | None) -> dict[tuple[str, str], date]:
    """Owner and partners of a measure are tied: partners from the proposal date, the owner from anchoring."""
    members = {p for p in (partners or "").split(",") if p}
    ties: dict[tuple[str, str], date] = {}
    if proposed_on is not None:
        for x, y in combinations(sorted(members), 2):
            ties[(x, y)] = proposed_on
    if owner and accepted_on is not None:
        for p in members - {owner}:
            x, y = sorted((p, owner))
            ties[(x, y)] = min(ties.get((x, y), accepted_on), accepted_on)
    return ties


def measures_changed(s: Session, keys: list[tuple[str, str]]) -> None:
    """Recompute the ties of these measures from their rows: which pairs, from when, in which focus area."""
    wanted: dict[tuple[str, str], tuple] = {}
    stored: dict[tuple[str, str], tuple] = {}
    for region, ids in _by_region(keys).items():
        for chunk in _chunks(ids):
            for row in s.execute(_MEASURE_ROWS, {"region": region, "ids": chunk}):
                wanted[(region, row.measure_id)] = (row.focus_area, measure_ties(
                    row.partners, row.proposed_on, row.owner_organisation_id, row.accepted_on))
            for mid, x, y, on, area in s.execute(_MEASURE_TIES, {"region": region, "ids": chunk}):
                stored.setdefault((region, mid), (area, {}))[1][(x, y)] = on
    changed = [k for k in keys if _tied(wanted.get(k)) != _tied(stored.get(k))]
    if not changed:
        return
    for region, ids in _by_region(changed).items():
        for chunk in _chunks(ids):
            s.execute(_DELETE_MEASURE_TIES, {"region": region, "ids": chunk})
    rows = [{"region": region, "origin": "measure", "source_id": mid, "org_a": x, "org_b": y, "tie_on": on,
             "sector_a": None, "sector_b": None, "focus_areas": wanted[(region, mid)][0]}
            for region, mid in changed if (region, mid) in wanted for (x, y), on in wanted[(region, mid)][1].items()]
    executemany(s, _INSERT_TIE, rows)
    new_pairs: dict[tuple, tuple] = {}
    for row in rows:
        _lower(new_pairs, (row["region"], row["org_a"], row["org_b"], "measure"), row["tie_on"], False)
    _lower_pairs(s, new_pairs)
    sectors = SectorTimes.load(s, {(row["region"], o) for row in rows for o in (row["org_a"], row["org_b"])})
    firsts = []
    for row in rows:
        region, x, y, on = row["region"], row["org_a"], row["org_b"], row["tie_on"]
        cross = sectors.cross_on(region, x, y, on)
        firsts += [(region, scope, x, y, on, cross) for scope in ("", row["focus_areas"]) if scope is not None]
    _lower_firsts(s, firsts)
    # Ties removed, moved later or moved to another focus area: recompute those pairs from the measure ties left.
    redo: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for k in changed:
        region, (area, now) = k[0], wanted.get(k, (None, {}))
        old_area, before = stored.get(k, (None, {}))
        for (x, y), on in before.items():
            if (x, y) not in now or now[(x, y)] > on or area != old_area:
                redo[region].add((x, y))
    for region, pairs in redo.items():
        for x, y in sorted(pairs):
            first = s.execute(_FIRST_MEASURE_TIE, {"region": region, "a": x, "b": y}).scalar()
            s.execute(_DELETE_PAIR, {"region": region, "a": x, "b": y, "origin": "measure"})
            if first is not None:
                s.execute(insert(t.pairs), [{"region": region, "org_a": x, "org_b": y, "origin": "measure",
                                             "first_on": first, "first_cross_on": None}])
        recompute_firsts(s, region, pairs=pairs)


def derive_measure_ties(s: Session) -> None:
    """Every measure's ties from the measure rows, for a rebuild (no measure ties are stored yet): the same rows as
    `measures_changed` of every measure, with the pair summaries lowered once from their minima instead of once per
    tie; a region has at most a few thousand organisation pairs, but a million events bring a million measure ties."""
    m = t.measures
    sectors = SectorTimes.load(s)
    new_pairs: dict[tuple, tuple] = {}
    firsts: dict[tuple, tuple] = {}
    rows: list[dict] = []
    query = (select(m.c.region, m.c.measure_id, m.c.focus_area, m.c.partners, m.c.proposed_on, m.c.owner_organisation_id,
                    m.c.accepted_on).execution_options(yield_per=_ROWS))
    for row in s.execute(query):
        region = row.region
        for (x, y), on in measure_ties(row.partners, row.proposed_on, row.owner_organisation_id, row.accepted_on).items():
            rows.append({"region": region, "origin": "measure", "source_id": row.measure_id, "org_a": x, "org_b": y,
                         "tie_on": on, "sector_a": None, "sector_b": None, "focus_areas": row.focus_area})
            _lower(new_pairs, (region, x, y, "measure"), on, False)
            cross = sectors.cross_on(region, x, y, on)
            for scope in ("", row.focus_area):
                if scope is not None:
                    firsts[(region, scope, x, y)] = _merge_pair(firsts.get((region, scope, x, y)), on, cross)
        if len(rows) >= _ROWS:
            executemany(s, _INSERT_TIE, rows)
            rows = []
    executemany(s, _INSERT_TIE, rows)
    _lower_pairs(s, new_pairs)
    _lower_firsts(s, [(r, scope, x, y, f, c) for (r, scope, x, y), (f, c) in firsts.items()])


def _tied(entry):
    area, ties = entry if entry is not None else (None, {})
    return (area, ties) if ties else (None, {})


# both origins merged -----------------------------------------------------------------------------
def _lower_firsts(s: Session, rows: list[tuple]) -> None:
    """Lower merged first dates: rows of (region, scope, org_a, org_b, first, first across sectors)."""
    merged: dict[tuple, tuple] = {}
    for region, scope, x, y, first, cross in rows:
        f, c = merged.get((region, scope, x, y), (None, None))
        merged[(region, scope, x, y)] = (first if f is None or (first is not None and first < f) else f,
                                         cross if c is None or (cross is not None and cross < c) else c)
    if tiecounts.deferred(s):  # a rebuild: lower in SQL, count the whole summary at the end
        _lower_only(s, t.pair_firsts, [{"region": r, "scope": sc, "org_a": x, "org_b": y, "first_on": f, "cross_on": c}
                                       for (r, sc, x, y), (f, c) in merged.items()], columns=("first_on", "cross_on"))
    else:
        by_region: dict[str, dict] = defaultdict(dict)
        for (r, sc, x, y), firsts in merged.items():
            by_region[r][(sc, x, y)] = firsts
        for r, rows_of_region in by_region.items():
            tiecounts.lower(s, r, rows_of_region)
    orgs = sorted({(r, o) for (r, _, x, y) in merged for o in (x, y)})
    executemany(s, _pair_orgs_statement(s), [{"region": r, "organisation_id": o} for r, o in orgs])


def _pair_orgs_statement(s: Session):
    dialect = s.get_bind().dialect.name
    stmt = _STATEMENTS.get((dialect, "pair_orgs"))
    if stmt is None:
        stmt = _STATEMENTS[(dialect, "pair_orgs")] = (
            (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t.pair_orgs).on_conflict_do_nothing())
    return stmt


def recompute_firsts(s: Session, region: str, *, pairs: set[tuple[str, str]] | None = None,
                     orgs: list[str] | None = None) -> None:
    """Recompute merged rows, every scope, from both origins' rows and the registered sectors: of some pairs, or of
    every pair of some organisations (after their sector changed)."""
    if pairs is not None:
        if not pairs:
            return
        involved = sorted({o for pair in pairs for o in pair})

        def wanted(x, y):
            return (x, y) in pairs
    else:
        involved = sorted(orgs)
        chosen = set(orgs)

        def wanted(x, y):
            return x in chosen or y in chosen
    found: dict[tuple[str, str, str], tuple] = {}
    measure_ties: list[tuple] = []
    for chunk in _chunks(involved):
        params = {"region": region, "orgs": chunk}
        for x, y, first, first_cross in s.execute(_GATHERING_PAIRS_OF_ORGS, params):  # measure ties: read below
            if wanted(x, y):
                found[("", x, y)] = _merge_pair(found.get(("", x, y)), first, first_cross)
        for area, x, y, first, first_cross in s.execute(_AREA_PAIRS_OF_ORGS, params):
            if wanted(x, y):
                found[(area, x, y)] = _merge_pair(found.get((area, x, y)), first, first_cross)
        for x, y, on, area in s.execute(_MEASURE_TIES_OF_ORGS, params):
            if wanted(x, y):
                measure_ties.append((x, y, on, area))
    sectors = SectorTimes.load(s, {(region, o) for x, y, _, _ in measure_ties for o in (x, y)})
    for x, y, on, area in measure_ties:
        cross = sectors.cross_on(region, x, y, on)
        for scope in ("", area) if area else ("",):
            found[(scope, x, y)] = _merge_pair(found.get((scope, x, y)), on, cross)
    # A merged row exists only for a pair some source ties, so the pairs read above are all there is to replace.
    redo = pairs if pairs is not None else {(x, y) for _, x, y in found}
    tiecounts.replace(s, region, redo, found)


def _merge_pair(current, first, cross):
    f, c = current or (None, None)
    return (first if f is None or (first is not None and first < f) else f,
            cross if c is None or (cross is not None and cross < c) else c)


# statements ------------------------------------------------------------------------------------
def _by_region(keys) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for region, ident in keys:
        out[region].append(ident)
    return out


def _chunks(ids: list[str]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


_STATEMENTS: dict[tuple, object] = {}


def _lower_only(s: Session, table, rows: list[dict], columns: tuple[str, str] = ("first_on", "first_cross_on")) -> None:
    """Upsert first dates that only ever lower the stored ones; a row that would not change is not written."""
    if not rows:
        return
    dialect = s.get_bind().dialect.name
    stmt = _STATEMENTS.get((dialect, table.name))
    if stmt is None:
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)

        def lower(c):
            return and_(ins.excluded[c].is_not(None), or_(table.c[c].is_(None), ins.excluded[c] < table.c[c]))
        stmt = _STATEMENTS[(dialect, table.name)] = ins.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={c: case((lower(c), ins.excluded[c]), else_=table.c[c]) for c in columns},
            where=or_(*(lower(c) for c in columns)))
    executemany(s, stmt, rows)


def _lower_pairs(s: Session, rows: dict[tuple, tuple]) -> None:
    _lower_only(s, t.pairs, [{"region": r, "org_a": x, "org_b": y, "origin": o, "first_on": f, "first_cross_on": fc}
                             for (r, x, y, o), (f, fc) in rows.items()])


def _lower_area_pairs(s: Session, rows: dict[tuple, tuple]) -> None:
    _lower_only(s, t.area_pairs, [{"region": r, "focus_area": area, "org_a": x, "org_b": y, "first_on": f,
                                   "first_cross_on": fc} for (r, area, x, y), (f, fc) in rows.items()])


_a, _ti, _p, _ap, _g, _m = t.attendances, t.ties, t.pairs, t.area_pairs, t.gatherings, t.measures
_IDS = bindparam("ids", expanding=True)
_INSERT_ATTENDANCE = insert(_a)
_INSERT_TIE = insert(_ti)
_OLD_ATTENDANCE = select(_a.c.gathering_id, _a.c.person_id, _a.c.organisation_id, _a.c.sector).where(
    _a.c.region == bindparam("region"), _a.c.gathering_id.in_(_IDS))
_DELETE_ATTENDANCE = delete(_a).where(_a.c.region == bindparam("region"), _a.c.gathering_id.in_(_IDS))
_GATHERING_PAIRS_OF = select(_p.c.org_a, _p.c.org_b, _p.c.first_on, _p.c.first_cross_on).where(
    _p.c.region == bindparam("region"), _p.c.origin == "gathering", _p.c.org_a.in_(bindparam("orgs", expanding=True)))
_AREA_PAIRS_OF = select(_ap.c.org_a, _ap.c.org_b, _ap.c.first_on, _ap.c.first_cross_on).where(
    _ap.c.region == bindparam("region"), _ap.c.org_a.in_(bindparam("orgs", expanding=True)))
_x, _y = _a.alias("x"), _a.alias("y")
# The gatherings two organisations were both at, and whether their attendees' sectors differed there.
_SHARED_GATHERINGS = (
    select(_x.c.gathering_id, func.max(case((_x.c.sector != _y.c.sector, 1), else_=0)))
    .select_from(_x.join(_y, and_(_y.c.region == _x.c.region, _y.c.gathering_id == _x.c.gathering_id)))
    .where(_x.c.region == bindparam("region"), _x.c.organisation_id == bindparam("a"),
           _y.c.organisation_id == bindparam("b"))
    .group_by(_x.c.gathering_id))
_GATHERING_DATES = select(_g.c.gathering_id, _g.c.held_on, _g.c.focus_areas).where(
    _g.c.region == bindparam("region"), _g.c.gathering_id.in_(_IDS))
_DELETE_PAIR = delete(_p).where(_p.c.region == bindparam("region"), _p.c.origin == bindparam("origin"),
                                _p.c.org_a == bindparam("a"), _p.c.org_b == bindparam("b"))
_DELETE_AREA_PAIRS = delete(_ap).where(_ap.c.region == bindparam("region"), _ap.c.org_a == bindparam("a"),
                                       _ap.c.org_b == bindparam("b"))
_MEASURE_ROWS = select(_m.c.measure_id, _m.c.focus_area, _m.c.partners, _m.c.proposed_on, _m.c.owner_organisation_id,
                       _m.c.accepted_on).where(
    _m.c.region == bindparam("region"), _m.c.measure_id.in_(_IDS))
_MEASURE_TIES = select(_ti.c.source_id, _ti.c.org_a, _ti.c.org_b, _ti.c.tie_on, _ti.c.focus_areas).where(
    _ti.c.region == bindparam("region"), _ti.c.origin == "measure", _ti.c.source_id.in_(_IDS))
_DELETE_MEASURE_TIES = delete(_ti).where(_ti.c.region == bindparam("region"), _ti.c.origin == "measure",
                                         _ti.c.source_id.in_(_IDS))
_FIRST_MEASURE_TIE = select(func.min(_ti.c.tie_on)).where(
    _ti.c.region == bindparam("region"), _ti.c.origin == "measure", _ti.c.org_a == bindparam("a"),
    _ti.c.org_b == bindparam("b"))
_ORGS = bindparam("orgs", expanding=True)
_GATHERING_PAIRS_OF_ORGS = select(_p.c.org_a, _p.c.org_b, _p.c.first_on, _p.c.first_cross_on).where(
    _p.c.region == bindparam("region"), _p.c.origin == "gathering", or_(_p.c.org_a.in_(_ORGS), _p.c.org_b.in_(_ORGS)))
_AREA_PAIRS_OF_ORGS = select(_ap.c.focus_area, _ap.c.org_a, _ap.c.org_b, _ap.c.first_on, _ap.c.first_cross_on).where(
    _ap.c.region == bindparam("region"), or_(_ap.c.org_a.in_(_ORGS), _ap.c.org_b.in_(_ORGS)))
_MEASURE_TIES_OF_ORGS = select(_ti.c.org_a, _ti.c.org_b, _ti.c.tie_on, _ti.c.focus_areas).where(
    _ti.c.region == bindparam("region"), _ti.c.origin == "measure", or_(_ti.c.org_a.in_(_ORGS), _ti.c.org_b.in_(_ORGS)))
