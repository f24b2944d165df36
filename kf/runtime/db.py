"""Database engines per service: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from contextlib import contextmanager, suppress
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Last in, first out: the connection just used, with its warm page cache, serves the next unit of work, and
        # the other pooled connections' caches do not all fill up (each may hold 16 MB).
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_use_lifo=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


SQLITE_CACHE_KIB = 16384
REBUILD_CACHE_KIB = 4096


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DBAPI connection
    # WAL lets the relay read while the API writes; busy_timeout waits instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # 16 MB of pages cached per connection instead of 2: batched writers touch the same b-tree pages again and
    # again. A bulk writer also checkpoints less often (`bulk_checkpoints`).
    cur.execute("PRAGMA journal_size_limit=33554432")  # the WAL file is cut back to 32 MB after a checkpoint
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.close()
    # SQLite's own lower() folds ASCII only, and ILIKE compiles to lower(a) LIKE lower(b): a search for "østfold" missed
    # "Østfold fylkeskommune" on SQLite while PostgreSQL found it. Python's str.lower folds every letter.
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


SQLITE_CHECKPOINT_PAGES = 1000  # SQLite's default: a checkpoint every ~4 MB of WAL
BULK_CHECKPOINT_PAGES = 4000


def bulk_checkpoints(session: Session, bulk: bool) -> None:
    """On SQLite, checkpoint the WAL every ~16 MB while this session's connection writes in bulk (a replay, a
    consumer catching up), every ~4 MB otherwise. Each checkpoint rewrites and syncs the pages written since the
    last one; in process, facts-only batches went ~40 % faster with this and the larger page cache
    (docs/benchmarks.md). A live writer keeps small checkpoints: with larger ones for every writer the steady
    benchmark's end-to-end p99 came out 254-348 ms instead of 131-157 ms (presumably the commit that checkpoints waits for it; not
    traced)."""
    if session.get_bind().dialect.name == "sqlite":
        pages = BULK_CHECKPOINT_PAGES if bulk else SQLITE_CHECKPOINT_PAGES
        session.connection().exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")


@contextmanager
def rebuild_cache(session: Session) -> Iterator[None]:
    """On SQLite, a 4 MB page cache instead of 16 for this session's connection while it rebuilds tables from
    millions of rows: no cache holds them anyway, and SQLite's sorter sizes its in-memory runs by the cache. Rebuilding
    the metrics of 1,000,000 events, the process then peaked at 186 MB instead of 210, in about the same time
    (docs/benchmarks.md)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.connection().exec_driver_sql(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
    try:
        yield
    finally:
        # After a failed statement the connection may refuse this too; left at the small cache it is only slower.
        with suppress(Exception):
            session.connection().exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")


@contextmanager
def indexes_set_aside(session: Session, tables) -> Iterator[None]:
    """On SQLite, drop these tables' secondary indexes for the block and create them again after it, in the same
    transaction: a bulk rebuild then writes each table alone and each index is built once from sorted rows, instead
    of every insert landing on a random page of every index. Rebuilding the metrics of 1,000,000 events took 117 s
    this way against 152 s (docs/benchmarks.md). PostgreSQL keeps its indexes: dropping one there would lock its
    table against readers until the commit."""
    drop_indexes(session, tables)
    yield
    restore_indexes(session, tables)


def drop_indexes(session: Session, tables) -> None:
    """On SQLite, drop these tables' secondary indexes (those that exist) in the session's transaction; for writes
    that span many transactions, such as a replay's, until `restore_indexes`. A no-op on PostgreSQL."""
    connection = _sqlite_transaction(session, tables)
    if connection is not None:
        for index in _indexes(tables):
            index.drop(connection, checkfirst=True)


def restore_indexes(session: Session, tables) -> None:
    """Create whichever of these tables' secondary indexes are missing (SQLite; a no-op on PostgreSQL)."""
    connection = _sqlite_transaction(session, tables)
    if connection is not None:
        for index in _indexes(tables):
            index.create(connection, checkfirst=True)


def _indexes(tables) -> list:
    return [i for table in tables for i in sorted(table.indexes, key=lambda i: i.name)]


def _sqlite_transaction(session: Session, tables):
    if session.get_bind().dialect.name != "sqlite" or not _indexes(tables):
        return None
    begin_now(session)  # without a transaction, DDL would commit at once
    return session.connection()


def begin_now(session: Session, *, immediate: bool = False) -> None:
    """On SQLite, begin the session's transaction now. pysqlite begins one only at the first write, so statements
    before it commit at once: DDL, and a SAVEPOINT, which then opens a transaction that its RELEASE commits (an
    event applied in a savepoint would be stored even though its batch rolls back). `immediate` also takes the
    database's write lock now (waiting for another writer up to the busy timeout), so what the transaction reads
    before it writes cannot change under it. A no-op on PostgreSQL."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class Database:
    """An engine and its session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
