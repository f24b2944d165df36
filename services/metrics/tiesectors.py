"""When a measure's tie crosses sectors, read from the organisations' dated sector history (store.py).

Co-owning a measure is a lasting relationship: its tie holds from its date on, and it crosses sectors from the first
date on or after that on which the two organisations' registered sectors differ (each organisation's sector of a date
as everywhere: its latest registration or update on or before it, else its first). A change of sector thus moves the
crossing only from its own day on, so earlier as-of dates keep their numbers. A gathering's tie is a moment instead:
it crosses sectors by the sectors recorded for its attendees that day (pairs.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.metrics import refresh
from services.metrics import store as t

Key = tuple[str, str]  # (region, organisation id)


def crosses(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


def changes(rows: list[tuple[date, str | None]]) -> list[tuple[date, str | None]]:
    """A history sorted by date without the rows that repeat the value before them."""
    out: list[tuple[date, str | None]] = []
    for since, value in rows:
        if not out or value != out[-1][1]:
            out.append((since, value))
    return out


class SectorTimes:
    """The dated sectors of some organisations, and when a tie between two of them crosses sectors."""

    def __init__(self, histories: dict[Key, list[tuple[date, str | None]]]) -> None:
        self._history = {key: changes(rows) for key, rows in histories.items() if rows}
        self._pairs: dict[tuple[str, str, str], tuple[list[date], list[bool]]] = {}

    @classmethod
    def load(cls, s: Session, orgs: set[Key] | None = None) -> SectorTimes:
        """The histories of these organisations (of every organisation when None)."""
        h = t.org_sectors
        histories: dict[Key, list] = defaultdict(list)
        if orgs is None:
            for region, oid, since, sector in s.execute(select(h.c.region, h.c.organisation_id, h.c.since, h.c.sector)
                                                        .order_by(h.c.region, h.c.organisation_id, h.c.since)):
                histories[(region, oid)].append((since, sector))
            return cls(histories)
        by_region: dict[str, set[str]] = defaultdict(set)
        for region, oid in orgs:
            by_region[region].add(oid)
        for region, ids in by_region.items():
            for oid, rows in refresh.histories(s, h, region, ids).items():
                histories[(region, oid)] = rows
        return cls(histories)

    def cross_on(self, region: str, x: str, y: str, on: date | None) -> date | None:
        """The first date on or after `on` on which x and y are of different sectors; None if there is none (or a
        sector is unknown)."""
        hx, hy = self._history.get((region, x)), self._history.get((region, y))
        if on is None or not hx or not hy:
            return None
        if len(hx) == 1 and len(hy) == 1:  # neither ever moved: the common case
            return on if crosses(hx[0][1], hy[0][1]) else None
        starts, crossing = self._timeline(region, x, y, hx, hy)
        i = max(bisect_right(starts, on) - 1, 0)
        if crossing[i]:
            return on
        for j in range(i + 1, len(starts)):
            if crossing[j]:
                return starts[j]
        return None

    def _timeline(self, region: str, x: str, y: str, hx, hy) -> tuple[list[date], list[bool]]:
        """Where the pair's crossing may change: the dates either moved after its first row, with whether the two
        differ from each date on (the first entry also covers every date before it)."""
        key = (region, x, y)
        timeline = self._pairs.get(key)
        if timeline is None:
            points = [date.min, *sorted({since for since, _ in hx[1:]} | {since for since, _ in hy[1:]})]
            timeline = self._pairs[key] = (points, [crosses(_at(hx, d), _at(hy, d)) for d in points])
        return timeline


def _at(history: list[tuple[date, str | None]], day: date) -> str | None:
    """The value of a (non-empty) history on a day: its latest row on or before it, else its first."""
    i = bisect_right([since for since, _ in history], day) - 1
    return history[max(i, 0)][1]
