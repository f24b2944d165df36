"""Where each of the metrics consumers stands (`mx_positions`), written in each batch's transaction: the highest
stream sequence applied and how many events the applied batches held. It replaces the kit's inbox of applied event
ids, which the metrics projections do not need (store.py: applying an event again changes nothing) and which cost
nearly half the time to apply a batch (docs/benchmarks.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.metrics import store as t

_p = t.positions
_UPSERT: dict[str, object] = {}


def record(s: Session, source: str, last_seq: int, events: int) -> None:
    """A batch of `events` from `source`'s stream, up to stream sequence `last_seq`, was applied in this transaction."""
    dialect = s.get_bind().dialect.name
    stmt = _UPSERT.get(dialect)
    if stmt is None:
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_p)
        stmt = _UPSERT[dialect] = ins.on_conflict_do_update(index_elements=[_p.c.source], set_={
            "stream_seq": case((ins.excluded.stream_seq > _p.c.stream_seq, ins.excluded.stream_seq), else_=_p.c.stream_seq),
            "events": _p.c.events + ins.excluded.events, "updated_at": ins.excluded.updated_at})
    s.execute(stmt, {"source": source, "stream_seq": last_seq, "events": events, "updated_at": datetime.now(UTC)})


def events_applied(s: Session) -> int:
    """Events in the batches applied since the projections were last cleared (a redelivered batch counts again)."""
    return int(s.execute(select(func.coalesce(func.sum(_p.c.events), 0))).scalar_one())
