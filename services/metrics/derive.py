"""The derived tables (pair summaries, measure ties, dated counters) computed at once from the fact tables.

A replay writes only the facts, batch by batch, and derives once at the end: each pair summary row is then written
once instead of lowered again by every batch that touches it. The result is the same as deriving batch by batch
(tests/unit/test_metrics_properties.py), because every derived value is a minimum or a sum over the facts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kf.runtime.db import drop_indexes, indexes_set_aside, rebuild_cache, restore_indexes
from services.metrics import pairs, refresh, tiecounts
from services.metrics import store as t

PENDING = "replay"
_STREAM = 20_000  # attendance rows fetched at a time


def mark_pending(s: Session) -> None:
    """Derived tables lag the facts from now on, until `derive_all` runs (even in another process).

    Until then only facts are written, by primary key, and nothing reads them by another index (the KPIs read the
    derived tables; the network reads the facts whole): on SQLite their secondary indexes go until `derive_all`,
    which builds each once from the table instead of updating it at every row of every batch. Applying the facts of
    200,000 events in process took 4.6 s without them against 7.9 s with them (docs/benchmarks.md)."""
    s.execute(delete(t.derive_pending))
    s.execute(insert(t.derive_pending), [{"name": PENDING, "since": datetime.now(UTC)}])
    drop_indexes(s, t.FACTS)


def is_pending(s: Session) -> bool:
    return s.execute(select(t.derive_pending.c.name).limit(1)).first() is not None


def derive_all(s: Session) -> None:
    """Recompute every derived table from the facts and clear the pending marker."""
    with rebuild_cache(s):
        _derive_all(s)


DERIVED = (t.pairs, t.area_pairs, t.pair_firsts, t.pair_orgs, t.ties, t.contributions, t.counts)


def _derive_all(s: Session) -> None:
    restore_indexes(s, t.FACTS)  # dropped while pending; the derive below reads facts by them
    for table in (t.pairs, t.area_pairs, t.pair_firsts, t.pair_orgs, t.ties):
        s.execute(delete(table))
    with indexes_set_aside(s, DERIVED):  # the rebuild reads derived rows by primary key or whole tables only
        _derive(s)


def _derive(s: Session) -> None:
    tiecounts.defer(s)  # the rebuild below counts the pair summary at once
    try:
        pairs.lower_gathering_pairs(s, _gatherings(s))
        pairs.derive_measure_ties(s)
    finally:
        tiecounts.defer(s, False)
    refresh.rebuild(s)
    s.execute(delete(t.derive_pending))


def _gatherings(s: Session):
    """(region, held on, focus areas, {organisation: its attendees' sectors}) of every gathering, streamed in
    attendance key order."""
    a, g = t.attendances, t.gatherings
    query = (select(a.c.region, a.c.gathering_id, a.c.organisation_id, a.c.sector, g.c.held_on, g.c.focus_areas)
             .select_from(a.join(g, (g.c.region == a.c.region) & (g.c.gathering_id == a.c.gathering_id)))
             .order_by(a.c.region, a.c.gathering_id)
             .execution_options(yield_per=_STREAM))
    current, orgs, held_on, focus_areas = None, {}, None, None
    for region, gathering_id, org, sector, on, areas in s.execute(query):
        if (region, gathering_id) != current:
            if current is not None:
                yield current[0], held_on, focus_areas, orgs
            current, orgs, held_on, focus_areas = (region, gathering_id), {}, on, areas
        sectors = orgs.get(org)
        if sectors is None:
            orgs[org] = {sector}
        else:
            sectors.add(sector)
    if current is not None:
        yield current[0], held_on, focus_areas, orgs
