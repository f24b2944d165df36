"""Transactional outbox: the event row is written in the same transaction as the state change,
and a relay publishes unsent rows to JetStream with `Nats-Msg-Id` = event id.

A crash between publish and marking a row sent republishes it; JetStream's duplicate window
drops the second copy, so the stream holds every event exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from nats.js import JetStreamContext
from sqlalchemy import column, func, insert, select, table, update
from sqlalchemy.orm import Session

from kf.contracts.catalog import DomainEvent
from kf.contracts.envelope import CloudEvent, wrap
from kf.contracts.subjects import stream_name
from kf.runtime.db import Database
from kf.runtime.telemetry import ServiceMetrics

log = logging.getLogger("kf.outbox")

OUTBOX = table("outbox", column("seq"), column("event_id"), column("subject"), column("event_type"),
               column("payload"), column("created_at"), column("sent_at"))


def record_event(session: Session, event: DomainEvent, *, region: str, subject_id: str | None) -> CloudEvent:
    """Append an event to the outbox inside the caller's transaction."""
    envelope = wrap(event, region=region, subject=subject_id)
    session.execute(insert(OUTBOX).values(
        event_id=envelope.id, subject=event.subject(region), event_type=envelope.type,
        payload=envelope.to_json(), created_at=datetime.now(UTC), sent_at=None))
    return envelope


def pending_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(OUTBOX).where(OUTBOX.c.sent_at.is_(None))).scalar_one()


class OutboxRelay:
    """Publishes unsent outbox rows in order; survives broker outages by retrying with backoff."""

    def __init__(self, db: Database, service: str, js: Callable[[], JetStreamContext], metrics: ServiceMetrics,
                 *, batch_size: int = 500, poll_interval: float = 0.25) -> None:
        self._db = db
        self._stream = stream_name(service)
        self._js = js
        self._metrics = metrics
        self._batch_size = batch_size
        self._poll = poll_interval
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def notify(self) -> None:
        """Called (from any thread) after a commit that wrote outbox rows: publish now."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        backoff = self._poll
        while not stop.is_set():
            try:
                published = await self.publish_pending()
                backoff = self._poll
                if published >= self._batch_size:
                    continue  # more rows waiting: do not sleep
            except Exception as exc:  # noqa: BLE001 - any broker or database fault: retry later
                self._metrics.relay_errors.inc()
                log.warning("outbox relay round failed, retrying", extra={"error": type(exc).__name__, "retry_in": backoff})
                backoff = min(backoff * 2, 5.0)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except TimeoutError:
                pass

    async def publish_pending(self) -> int:
        """One round: publish up to a batch of unsent rows in order and mark those acknowledged."""
        rows = await asyncio.to_thread(self._load_batch)
        if not rows:
            self._metrics.outbox_backlog.set(0)
            return 0
        js = self._js()
        acked: list[int] = []
        failure: BaseException | None = None
        results = await asyncio.gather(
            *(js.publish(subject, payload, timeout=5.0, stream=self._stream, headers={"Nats-Msg-Id": event_id})
              for _seq, event_id, subject, _type, payload in rows),
            return_exceptions=True)
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failure = failure or result
                break  # keep order: rows after a failure are retried in the next round
            acked.append(row[0])
            self._metrics.events_published.labels(event_type=row[3]).inc()
        if acked:
            await asyncio.to_thread(self._mark_sent, acked)
        backlog = await asyncio.to_thread(pending_count, self._db)
        self._metrics.outbox_backlog.set(backlog)
        if failure is not None:
            raise failure
        return len(acked)

    def _load_batch(self) -> list[tuple]:
        with self._db.engine.connect() as conn:
            result = conn.execute(
                select(OUTBOX.c.seq, OUTBOX.c.event_id, OUTBOX.c.subject, OUTBOX.c.event_type, OUTBOX.c.payload)
                .where(OUTBOX.c.sent_at.is_(None)).order_by(OUTBOX.c.seq).limit(self._batch_size))
            return [tuple(r) for r in result]

    def _mark_sent(self, seqs: list[int]) -> None:
        with self._db.transaction() as session:
            session.execute(update(OUTBOX).where(OUTBOX.c.seq.in_(seqs)).values(sent_at=datetime.now(UTC)))
