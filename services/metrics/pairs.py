"""The pair summary (`mx_pairs`): for each organisation pair and origin (gathering or measure), the first date
it was tied, kept in step with `mx_ties` so region-wide tie KPIs read a few thousand rows instead of every
gathering's pairs.

It stays a pure function of `mx_ties`: a source that only adds ties lowers first dates (a monotone upsert,
safe under concurrent writers); a source whose ties are replaced recomputes its old and new pairs from `mx_ties`.
Gathering rows are written only by the events consumer and measure rows only by the measures consumer.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.metrics import store as t

COLUMNS = ("first_on", "first_cross_on")


_UPSERTS: dict[tuple, object] = {}


def _upsert(s: Session, rows: list[dict], *, lower_only: bool, table=None) -> None:
    if not rows:
        return
    p = t.pairs if table is None else table
    dialect = s.get_bind().dialect.name
    stmt = _UPSERTS.get((dialect, lower_only, p.name))
    if stmt is None:
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(p)
        if lower_only:
            set_ = {c: case((and_(ins.excluded[c].is_not(None), p.c[c].is_(None) | (ins.excluded[c] < p.c[c])), ins.excluded[c]),
                            else_=p.c[c]) for c in COLUMNS}
        else:
            set_ = {c: ins.excluded[c] for c in COLUMNS}
        stmt = _UPSERTS[(dialect, lower_only, p.name)] = ins.on_conflict_do_update(
            index_elements=[c.name for c in p.primary_key.columns], set_=set_)
    s.execute(stmt, rows)


def ties_added(s: Session, region: str, origin: str, rows: list[dict]) -> None:
    """New ties of a source that had none: lower each pair's first dates."""
    merged: dict[tuple[str, str], dict] = {}
    for row in rows:
        entry = merged.setdefault((row["org_a"], row["org_b"]), {"region": region, "org_a": row["org_a"], "org_b": row["org_b"],
                                                                 "origin": origin, "first_on": None, "first_cross_on": None})
        cross = origin == "gathering" and row["sector_a"] != row["sector_b"]
        for column, applies in (("first_on", True), ("first_cross_on", cross)):
            if applies and (entry[column] is None or row["tie_on"] < entry[column]):
                entry[column] = row["tie_on"]
    _upsert(s, list(merged.values()), lower_only=True)
    if origin == "gathering":
        by_area: dict[tuple[str, str, str], dict] = {}
        for row in rows:
            for area in _areas(row["focus_areas"]):
                entry = by_area.setdefault((area, row["org_a"], row["org_b"]), {
                    "region": region, "focus_area": area, "org_a": row["org_a"], "org_b": row["org_b"],
                    "first_on": None, "first_cross_on": None})
                for column, applies in (("first_on", True), ("first_cross_on", row["sector_a"] != row["sector_b"])):
                    if applies and (entry[column] is None or row["tie_on"] < entry[column]):
                        entry[column] = row["tie_on"]
        _upsert(s, list(by_area.values()), lower_only=True, table=t.area_pairs)


def _areas(text: str | None) -> list[str]:
    return [a for a in (text or "").split(",") if a]


def recompute(s: Session, region: str, origin: str, pair_keys: set[tuple[str, str]]) -> None:
    """Recompute these pairs' summary of one origin from `mx_ties` (after a source's ties were replaced).

    One indexed lookup per pair: a row-value IN list would scan the whole of `mx_ties` on SQLite.
    """
    found = []
    for a, b in sorted(pair_keys):
        first, first_cross = s.execute(_PAIR_FIRSTS, {"region": region, "origin": origin, "a": a, "b": b}).one()
        s.execute(_PAIR_DELETE, {"region": region, "origin": origin, "a": a, "b": b})
        if first is not None:
            found.append({"region": region, "org_a": a, "org_b": b, "origin": origin, "first_on": first,
                          "first_cross_on": first_cross})
        if origin == "gathering":
            _recompute_areas(s, region, a, b)
    _upsert(s, found, lower_only=False)


def _recompute_areas(s: Session, region: str, a: str, b: str) -> None:
    per_area: dict[str, dict] = {}
    for tie_on, sa, sb, areas in s.execute(_PAIR_GATHERING_TIES, {"region": region, "a": a, "b": b}):
        for area in _areas(areas):
            entry = per_area.setdefault(area, {"region": region, "focus_area": area, "org_a": a, "org_b": b,
                                               "first_on": None, "first_cross_on": None})
            for column, applies in (("first_on", True), ("first_cross_on", sa != sb)):
                if applies and (entry[column] is None or tie_on < entry[column]):
                    entry[column] = tie_on
    s.execute(_AREA_PAIR_DELETE, {"region": region, "a": a, "b": b})
    _upsert(s, list(per_area.values()), lower_only=False, table=t.area_pairs)


_ti, _p = t.ties, t.pairs
_PAIR_FIRSTS = select(func.min(_ti.c.tie_on), func.min(case((_ti.c.sector_a != _ti.c.sector_b, _ti.c.tie_on)))).where(
    _ti.c.region == bindparam("region"), _ti.c.org_a == bindparam("a"), _ti.c.org_b == bindparam("b"),
    _ti.c.origin == bindparam("origin"))
_PAIR_GATHERING_TIES = select(_ti.c.tie_on, _ti.c.sector_a, _ti.c.sector_b, _ti.c.focus_areas).where(
    _ti.c.region == bindparam("region"), _ti.c.org_a == bindparam("a"), _ti.c.org_b == bindparam("b"),
    _ti.c.origin == "gathering")
_AREA_PAIR_DELETE = delete(t.area_pairs).where(t.area_pairs.c.region == bindparam("region"),
                                               t.area_pairs.c.org_a == bindparam("a"), t.area_pairs.c.org_b == bindparam("b"))
_PAIR_DELETE = delete(_p).where(_p.c.region == bindparam("region"), _p.c.origin == bindparam("origin"),
                                _p.c.org_a == bindparam("a"), _p.c.org_b == bindparam("b"))


def replace_ties(s: Session, key: dict, rows: list[dict]) -> None:
    """Replace a source's ties in `mx_ties` and keep `mx_pairs` in step."""
    ti = t.ties
    old = s.execute(t.row_reader(ti, ["org_a", "org_b"], ["region", "origin", "source_id"]),
                    {f"k_{k}": v for k, v in key.items()}).all()
    t.replace_children(s, ti, key, rows)
    if old:
        recompute(s, key["region"], key["origin"], {(a, b) for a, b in old} | {(r["org_a"], r["org_b"]) for r in rows})
    else:
        ties_added(s, key["region"], key["origin"], rows)
