"""Many rows through one statement, handed to the driver as they are: SQLAlchemy's per-row parameter processing
costs more than SQLite's own work for the narrow rows of the fact tables."""

from __future__ import annotations

import sqlite3
from datetime import date
from operator import itemgetter

from sqlalchemy.orm import Session

_COMPILED: dict[tuple, tuple] = {}


def executemany(s: Session, stmt, rows: list[dict]) -> None:
    """Execute `stmt` (an INSERT, possibly with ON CONFLICT) once per row; every row has the same keys.

    Values go to the driver unconverted: dates, strings, numbers and None only (psycopg adapts dates itself;
    SQLite gets them as ISO text through the adapter below, the format SQLAlchemy's Date type stores).
    """
    if not rows:
        return
    conn = s.connection()
    dialect = conn.dialect
    keys = tuple(rows[0])
    cache_key = (id(stmt), dialect.name, keys)
    entry = _COMPILED.get(cache_key)
    if entry is None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
        getter = None
        if compiled.positional:
            _adapt_dates_for_sqlite()
            order = compiled.positiontup
            getter = itemgetter(*order) if len(order) > 1 else (lambda row, name=order[0]: (row[name],))
        # The statement is kept in the entry so its id is not reused while cached.
        entry = _COMPILED[cache_key] = (stmt, compiled.string, getter)
    _, sql, getter = entry
    conn.exec_driver_sql(sql, rows if getter is None else list(map(getter, rows)))


_adapted = False


def _adapt_dates_for_sqlite() -> None:
    global _adapted
    if not _adapted:
        sqlite3.register_adapter(date, date.isoformat)
        _adapted = True
