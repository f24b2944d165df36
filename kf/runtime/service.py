"""ServiceRuntime: what a running service holds (settings, database, broker, relay, consumers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from sqlalchemy.orm import Session

from kf.contracts.catalog import DomainEvent
from kf.contracts.envelope import CloudEvent
from kf.regiondata import Region, load_region
from kf.runtime.auth import TokenRegistry
from kf.runtime.broker import connect_attempt_seconds, ensure_dead_letter_stream, ensure_stream, jetstream, make_broker
from kf.runtime.consumer import EventConsumer, Handler
from kf.runtime.db import Database, begin_now
from kf.runtime.outbox import OutboxRelay, record_event
from kf.runtime.settings import ServiceSettings, without_credentials
from kf.runtime.telemetry import ServiceMetrics

log = logging.getLogger("kf.service")


class ServiceRuntime:
    """Built by a service's `create_app(settings)`; started and stopped by the HTTP lifespan."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.service = settings.service
        self.region: Region = load_region(settings.region, settings.region_file)
        self.db = Database(settings.database_url_value())
        self.metrics = ServiceMetrics(self.service)
        self.tokens = TokenRegistry(settings.tokens())
        self._nats_error = ""  # the last connection error nats-py reported, for the "not reachable" warning
        self.broker: NatsBroker = make_broker(settings, error_cb=self._on_nats_error)
        self.relay = OutboxRelay(self.db, self.service, self.js, self.metrics, batch_size=settings.relay_batch_size)
        self.consumers: list[EventConsumer] = []
        self.connected = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.on_stop: list[Callable[[], None]] = []  # run (in a thread) when the service stops, e.g. to end helpers

    # --- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction for a state change and its events; the relay is woken after the commit.

        On SQLite it holds the write lock from its start: SQLite has one writer at a time anyway, and a change read
        before the lock could be overtaken by another request's commit, which the version checks then refuse with a
        409 although nothing conflicted (two effect reports on one measure at once). PostgreSQL locks the rows."""
        with self.db.transaction() as session:
            begin_now(session, immediate=True)
            yield session
        self.relay.notify()

    def record(self, session: Session, event: DomainEvent, subject_id: str | None) -> CloudEvent:
        return record_event(session, event, region=self.settings.region, subject_id=subject_id)

    # --- consuming -----------------------------------------------------------------------
    def add_consumer(self, name: str, source_service: str, handlers: dict[type[DomainEvent], Handler],
                     region: str | None = None) -> EventConsumer:
        consumer = EventConsumer(db=self.db, owner=self.service, name=name, source_service=source_service,
                                 handlers=handlers, js=self.js, metrics=self.metrics, region=region,
                                 batch_size=self.settings.consumer_batch_size,
                                 on_commit=self.relay.notify)  # events a handler records go out at once
        self.consumers.append(consumer)
        return consumer

    # --- lifecycle -----------------------------------------------------------------------
    def js(self) -> JetStreamContext:
        return jetstream(self.broker)

    def nats_connected(self) -> bool:
        conn = self.broker.connection if self.connected.is_set() else None
        return bool(conn is not None and conn.is_connected)

    async def start(self, *, relay: bool, consumers: bool = True) -> None:
        self._stop = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._connect_then_run(relay=relay, consumers=consumers)))

    async def _connect_then_run(self, *, relay: bool, consumers: bool) -> None:
        delay = 0.25
        where = self.settings.nats_url_display()
        bound = connect_attempt_seconds(self.settings)
        while not self._stop.is_set():
            try:
                self._nats_error = ""
                try:
                    await asyncio.wait_for(self.broker.start(), timeout=bound)
                except TimeoutError:
                    last = f" (last error: {self._nats_error})" if self._nats_error else ""
                    raise TimeoutError(f"no connection within {bound:.0f}s{last}") from None
                replicas = self.settings.stream_replicas
                await ensure_stream(self.js(), self.service, replicas=replicas)
                await ensure_dead_letter_stream(self.js(), replicas=replicas)
                break
            except Exception as exc:  # noqa: BLE001 - NATS not reachable yet; writes still land in the outbox
                log.warning(f"NATS not reachable or not ready at {where} (KF_NATS_URL), retrying",
                            extra={"nats_url": where, "error": type(exc).__name__,
                                   "detail": self._scrub(str(exc))[:300], "retry_in": delay})
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.broker.stop(), timeout=5)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if self._stop.is_set():
            return
        self.connected.set()
        if relay:
            self._tasks.append(asyncio.create_task(self.relay.run(self._stop)))
        if consumers:
            for consumer in self.consumers:
                self._tasks.append(asyncio.create_task(consumer.run(self._stop)))

    async def _on_nats_error(self, exc: Exception) -> None:
        self._nats_error = f"{type(exc).__name__}: {exc}"[:200]

    def _scrub(self, text: str) -> str:
        """An error's text without the NATS credentials, should a library have put them in it."""
        text = without_credentials(text)
        if self.settings.nats_password is not None and self.settings.nats_password.get_secret_value():
            text = text.replace(self.settings.nats_password.get_secret_value(), "***")
        return text

    async def stop(self, grace: float = 5.0) -> None:
        """Stop consuming and relaying, waiting up to `grace` seconds for each task's last batch to be written."""
        self._stop.set()
        for hook in self.on_stop:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(hook)
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=grace)
        self._tasks.clear()
        with contextlib.suppress(Exception):  # drain() raises, or waits, while NATS is unreachable
            await asyncio.wait_for(self.broker.stop(), timeout=5)
        self.connected.clear()
        self.db.dispose()
