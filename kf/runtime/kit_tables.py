"""Tables the kit adds to every service's own database: the outbox and the consumer inbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text


def add_kit_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Add `outbox` and `processed_events` to a service's metadata (and so to its migrations)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("stream_seq", BigInteger, nullable=True),
        Column("applied_at", DateTime(timezone=True), nullable=False),
        Column("note", Text, nullable=True),
    )
    return outbox, processed
