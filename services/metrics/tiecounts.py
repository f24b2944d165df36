"""The merged pair summary (`mx_pair_firsts`) and its dated counts: how many pairs of organisations a scope had
tied, and tied across sectors, by each date.

The counts live in `mx_counts` beside the other sums, as metrics `ties` (+1 on a pair's first tie) and `cross_ties`
(+1 on its first tie across sectors), so `cross_sector_ties` and the ties behind `network_density` as of any date
come from the same few hundred period rows as every other KPI instead of a count over every pair.

Every change of a summary row outside a rebuild goes through `lower` or `replace`, which read the rows they change
and add the difference to the counts. A rebuild (`derive.derive_all`) writes the summary with the counts deferred
and counts it at once (`recount`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import String, bindparam, cast, delete, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.metrics import counters
from services.metrics import store as t
from services.metrics.bulk import executemany

TIES, CROSS_TIES = "ties", "cross_ties"
CHUNK = 500
_DEFERRED = "kf.metrics.tie_counts_deferred"

Firsts = tuple[date | None, date | None]  # (first tie, first tie across sectors)
Key = tuple[str, str, str]  # (scope, org_a, org_b)


def defer(s: Session, deferred: bool = True) -> None:
    """While deferred, summary writes leave the counts alone (a rebuild counts the whole summary at its end)."""
    s.info[_DEFERRED] = deferred


def deferred(s: Session) -> bool:
    return bool(s.info.get(_DEFERRED))


def lower(s: Session, region: str, rows: dict[Key, Firsts]) -> None:
    """Lower the stored first dates of these rows to the given ones (a first date only ever moves earlier) and
    count the change. (While deferred, `pairs` lowers in SQL without reading the rows first.)"""
    if not rows:
        return
    old = _stored(s, region, rows)
    new: dict[Key, Firsts] = {}
    for k, (f, c) in rows.items():
        of, oc = old.get(k, (None, None))
        lowered = (_min(of, f), _min(oc, c))
        if lowered != (of, oc):
            new[k] = lowered
    executemany(s, _upsert(s), [{"region": region, "scope": sc, "org_a": x, "org_b": y, "first_on": f, "cross_on": c}
                                for (sc, x, y), (f, c) in new.items()])
    _count(s, region, {k: old.get(k, (None, None)) for k in new}, new)


def replace(s: Session, region: str, pairs: set[tuple[str, str]], rows: dict[Key, Firsts]) -> None:
    """Replace every scope's rows of these pairs with `rows` (a pair without rows is no longer tied)."""
    if not pairs:
        return
    old = {} if deferred(s) else _stored_of_pairs(s, region, pairs)
    executemany(s, _DELETE_PAIR, [{"region": region, "org_a": x, "org_b": y} for x, y in sorted(pairs)])
    kept = {k: v for k, v in rows.items() if v[0] is not None}
    executemany(s, _INSERT, [{"region": region, "scope": sc, "org_a": x, "org_b": y, "first_on": f, "cross_on": c}
                             for (sc, x, y), (f, c) in kept.items()])
    if not deferred(s):
        _count(s, region, old, kept)


def recount(s: Session) -> None:
    """The tie counts per year, month and day from the whole summary (after `counters.recount` cleared them)."""
    pf, n = t.pair_firsts, t.counts
    for metric, column in ((TIES, pf.c.first_on), (CROSS_TIES, pf.c.cross_on)):
        day = cast(column, String)  # ISO text on both databases
        for prefix, length in (("Y", 4), ("M", 7), ("D", 10)):
            period = literal(prefix, String) + func.substr(day, 1, length)
            s.execute(insert(n).from_select(
                ["region", "scope", "period", "metric", "value"],
                select(pf.c.region, pf.c.scope, period, literal(metric, String), func.count())
                .where(column.is_not(None)).group_by(pf.c.region, pf.c.scope, period)))


def _count(s: Session, region: str, old: dict[Key, Firsts], new: dict[Key, Firsts]) -> None:
    deltas: dict[tuple[str, str, date], float] = defaultdict(float)
    for k in old.keys() | new.keys():
        (of, oc), (nf, nc) = old.get(k, (None, None)), new.get(k, (None, None))
        for metric, before, after in ((TIES, of, nf), (CROSS_TIES, oc, nc)):
            if before != after:
                if before is not None:
                    deltas[(k[0], metric, before)] -= 1
                if after is not None:
                    deltas[(k[0], metric, after)] += 1
    counters.add(s, region, deltas)


def _min(a: date | None, b: date | None) -> date | None:
    return b if a is None else a if b is None else min(a, b)


def _stored(s: Session, region: str, keys) -> dict[Key, Firsts]:
    """The stored rows of these keys: per scope, read by the organisations on either side and kept if wanted."""
    by_scope: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for scope, x, y in keys:
        by_scope[scope][0].add(x)
        by_scope[scope][1].add(y)
    out: dict[Key, Firsts] = {}
    for scope, (left, right) in by_scope.items():
        for a in _chunks(sorted(left)):
            for b in _chunks(sorted(right)):
                for x, y, f, c in s.execute(_STORED, {"region": region, "scope": scope, "a": a, "b": b}):
                    if (scope, x, y) in keys:
                        out[(scope, x, y)] = (f, c)
    return out


def _stored_of_pairs(s: Session, region: str, pairs: set[tuple[str, str]]) -> dict[Key, Firsts]:
    out: dict[Key, Firsts] = {}
    for a in _chunks(sorted({x for x, _ in pairs})):
        for b in _chunks(sorted({y for _, y in pairs})):
            for scope, x, y, f, c in s.execute(_STORED_OF_PAIRS, {"region": region, "a": a, "b": b}):
                if (x, y) in pairs:
                    out[(scope, x, y)] = (f, c)
    return out


def _chunks(ids: list[str]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


_pf = t.pair_firsts
_A, _B = bindparam("a", expanding=True), bindparam("b", expanding=True)
_STORED = select(_pf.c.org_a, _pf.c.org_b, _pf.c.first_on, _pf.c.cross_on).where(
    _pf.c.region == bindparam("region"), _pf.c.scope == bindparam("scope"), _pf.c.org_a.in_(_A), _pf.c.org_b.in_(_B))
_STORED_OF_PAIRS = select(_pf.c.scope, _pf.c.org_a, _pf.c.org_b, _pf.c.first_on, _pf.c.cross_on).where(
    _pf.c.region == bindparam("region"), _pf.c.org_a.in_(_A), _pf.c.org_b.in_(_B))
_DELETE_PAIR = delete(_pf).where(_pf.c.region == bindparam("region"), _pf.c.org_a == bindparam("org_a"),
                                 _pf.c.org_b == bindparam("org_b"))
_INSERT = insert(_pf)  # one statement object: bulk.executemany caches its compiled form by identity
_STATEMENTS: dict[tuple[str, str], object] = {}


def _upsert(s: Session):
    dialect = s.get_bind().dialect.name
    stmt = _STATEMENTS.get((dialect, "upsert"))
    if stmt is None:
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_pf)
        stmt = _STATEMENTS[(dialect, "upsert")] = ins.on_conflict_do_update(
            index_elements=[c.name for c in _pf.primary_key.columns],
            set_={"first_on": ins.excluded.first_on, "cross_on": ins.excluded.cross_on})
    return stmt

