"""Durable JetStream pull consumers that apply events idempotently and exactly once.

Each fetched batch is applied in one database transaction together with the ids of the events
it applied (`processed_events`); only after the commit are the messages acknowledged. A crash
before the commit redelivers the batch; a redelivery after it is recognised by the event id and
skipped. A message that is not a valid event, or that a handler refuses or the database cannot store,
goes to the dead-letter stream with the reason. So does an event whose envelope does not match the subject it came on
(another region in its `region`, or a type of another service): a producer may publish only on its own region's and
service's subjects, and the envelope alone must not carry an event into another region's figures.
A consumer whose handlers are idempotent by construction (applying an event again changes nothing, as the
metrics service's versioned merges) can go without the inbox (`inbox=False`): then no ids are read or written.

A consumer applies events one by one through per-type handlers, or the whole batch at once through
a batch handler (set-based writes: one statement per table per batch instead of per event). While a
batch is written, the next one is fetched and parsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import APIError, NotFoundError
from sqlalchemy import column, insert, select, table, text
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from kf.contracts.catalog import DomainEvent, current_type, event_class
from kf.contracts.envelope import CloudEvent, EnvelopeError, parse_data, parse_envelope
from kf.contracts.subjects import dead_letter_subject, service_filter, stream_name
from kf.runtime.db import Database, begin_now, is_postgres
from kf.runtime.telemetry import ServiceMetrics

log = logging.getLogger("kf.consumer")

PROCESSED = table("processed_events", column("consumer"), column("event_id"), column("stream_seq"),
                  column("applied_at"), column("note"))

Handler = Callable[[Session, CloudEvent, DomainEvent], None]


@dataclass(frozen=True)
class BatchInfo:
    """Where a batch stands in its stream: messages still waiting after it, and its last stream sequence."""

    backlog: int = 0
    last_seq: int = 0


# Applies a batch's new events (duplicates already left out; possibly none), in stream order, within the batch's
# transaction.
BatchHandler = Callable[[Session, list[tuple[CloudEvent, DomainEvent]], BatchInfo], None]

# Prepares a batch's events before the batch takes the writers' lock (no database: e.g. the rows they will write), so
# consumers in other threads and processes write meanwhile. The batch handler is then called with `prepared=` the
# result, unless some event turned out to be applied already (then it gets the new events only, and no `prepared`).
BatchPrepare = Callable[[list[tuple[CloudEvent, DomainEvent]]], object]

FETCH_TIMEOUT = 1.0  # seconds a fetch waits for messages (its pull request may deliver until then)

# SQLite has one writer at a time: consumers of one process queue on a lock instead of on SQLite's busy wait.
_SQLITE_WRITERS: dict[str, threading.Lock] = {}


class RejectEvent(Exception):
    """Raised by a handler for an event that can never be applied; it goes to the dead-letter stream."""


# What a batch can never apply, whatever the retries: a handler's refusal, a value the database cannot hold (a
# number out of its column's range, a string too long for it), or a value the handler's own computation cannot take
# (an ArithmeticError such as a date overflowing past year 9999, a ValueError). Such a batch is applied again event by
# event, and the events that fail this way go to the dead-letter stream; anything else (a lost connection) redelivers
# the batch. Without the last two, one event a handler could not compute on was redelivered for ever and held up every
# later event of its stream.
_UNAPPLICABLE = (RejectEvent, DataError, ArithmeticError, ValueError)


def _why(consumer: str, exc: Exception) -> str:
    if isinstance(exc, DataError):
        return f"not storable by {consumer}: {str(exc.orig).splitlines()[0][:300]}"
    if isinstance(exc, RejectEvent):
        return f"rejected by {consumer}: {exc}"
    return f"not applicable by {consumer}: {type(exc).__name__}: {str(exc)[:300]}"


class StopConsuming(Exception):
    """Raised by a batch handler that must not apply this batch or any later one (a helper whose task is over):
    the batch is rolled back and handed back to JetStream at once for another consumer, and this one stops."""


@dataclass
class _Item:
    msg: Msg
    seq: int
    pending: int = 0  # messages waiting behind this one when it was delivered
    envelope: CloudEvent | None = None
    kind: str = ""  # the newest type the envelope's type upcasts to: the type its handler is registered for
    event: DomainEvent | None = None
    problem: str | None = None


class EventConsumer:
    """One durable consumer on one service's stream, with handlers mapped to event types."""

    def __init__(self, *, db: Database, owner: str, name: str, source_service: str,
                 handlers: dict[type[DomainEvent], Handler] | None = None, js: Callable[[], JetStreamContext],
                 metrics: ServiceMetrics, region: str | None = None, batch_size: int = 256,
                 on_commit: Callable[[], None] | None = None, serialize_key: str | None = None,
                 batch_handler: BatchHandler | None = None, batch_types: Iterable[type[DomainEvent]] = (),
                 on_start: Callable[[Session], None] | None = None,
                 on_idle: Callable[[Session], bool] | None = None,
                 batch_prepare: BatchPrepare | None = None, inbox: bool = True) -> None:
        self.db = db
        # Without the inbox, a redelivered event is applied again: only for handlers to which that makes no difference.
        self.inbox = inbox
        # Runs when a fetch after a batch finds nothing, in a writing transaction serialised like a batch; returns
        # whether it changed anything (then `on_commit` runs, as after a batch).
        self.on_idle = on_idle
        # Runs once before the first fetch, in a writing transaction serialised like a batch (e.g. to finish
        # derived tables that an interrupted rebuild left behind).
        self.on_start = on_start
        self.durable = f"{owner}-{name}"
        self.source_service = source_service
        self.stream = stream_name(source_service)
        self.filter = service_filter(source_service, region)
        self.handlers = {cls.type_name(): fn for cls, fn in (handlers or {}).items()}
        # With a batch handler, `batch_types` are the types it applies (each event once, in stream order).
        self.batch_handler = batch_handler
        self.batch_prepare = batch_prepare
        self.batch_types = {cls.type_name() for cls in batch_types}
        if batch_handler is None and self.batch_types:
            raise ValueError("batch_types without a batch_handler")
        self._js = js
        self._metrics = metrics
        self._batch_size = batch_size
        self._owner = owner
        self._on_commit = on_commit
        # Consumers whose handlers read-then-write shared rows name one key: on PostgreSQL their
        # batches then apply one at a time, across threads and replicas (an advisory lock held until
        # the commit). SQLite serialises writers by itself.
        self.serialize_key = serialize_key
        self.ready = asyncio.Event()
        self.stopped = False  # set when a handler raised StopConsuming
        # At its end, how long to wait for messages of a pull request still open, to hand them back (a consumer
        # that ends while others of its durable go on); 0 hands back only those already received.
        self.hand_back_linger = 0.0

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(durable_name=self.durable, filter_subject=self.filter, ack_policy=AckPolicy.EXPLICIT,
                              deliver_policy=DeliverPolicy.ALL, ack_wait=60.0, max_ack_pending=20_000, max_deliver=-1)

    async def run(self, stop: asyncio.Event) -> None:
        sub = await self._subscribe(stop)
        if sub is None:
            return
        while self.on_start is not None and not stop.is_set():
            try:
                await asyncio.to_thread(self._start_in_transaction)
                break
            except Exception as exc:  # noqa: BLE001 - database trouble: try again before fetching anything
                log.warning("start step failed, retrying", extra={"consumer": self.durable, "error": type(exc).__name__})
                await _sleep_or_stop(stop, 1.0)
        self.ready.set()
        last_lag = 0.0
        writing: asyncio.Task | None = None
        busy = False  # a batch came since the last idle step
        while not stop.is_set() and not self.stopped:
            try:
                msgs = await pull(sub, self._batch_size, FETCH_TIMEOUT)
            except (NatsTimeoutError, TimeoutError):
                msgs = []
            except Exception as exc:  # noqa: BLE001 - connection trouble: wait and fetch again
                log.warning("fetch failed", extra={"consumer": self.durable, "error": type(exc).__name__})
                await _sleep_or_stop(stop, 1.0)
                continue
            if msgs:
                # Parse this batch while the previous one is written (SQLite and psycopg release the GIL),
                # then write it once the previous one is committed and acknowledged.
                started = time.perf_counter()
                items = [self._parse(m) for m in msgs]
                if writing is not None:
                    await writing
                if self.stopped:  # the batch before was the last one: this one goes back too
                    for item in items:
                        await _quietly(item.msg.nak())
                    writing = None
                    break
                writing = asyncio.create_task(self._commit_and_ack(items, started))
                busy = True
            elif busy and self.on_idle is not None:
                if writing is not None:
                    await writing
                    writing = None
                busy = not await self._idle()  # after a failure, the next empty fetch tries again
            if time.monotonic() - last_lag > 5:
                last_lag = time.monotonic()
                try:
                    info = await sub.consumer_info()
                    self._metrics.consumer_lag.labels(consumer=self.durable).set(info.num_pending + info.num_ack_pending)
                except Exception:  # noqa: BLE001 - lag is best effort
                    pass
        if writing is not None:
            await writing
        await self._hand_back(sub)
        # An open pull subscription makes the broker's drain() wait out its whole timeout at shutdown.
        await _quietly(sub.unsubscribe())

    async def _hand_back(self, sub) -> None:
        """Messages delivered to this subscription that it will not apply go back to JetStream at once, instead of
        after the ack wait: those in its queue and, with `hand_back_linger`, those a pull request still open (up to
        the fetch timeout) brings meanwhile. Another consumer of the durable (a helper's service, a replica) gets
        them now."""
        deadline = time.monotonic() + self.hand_back_linger
        handed = 0
        while sub.pending_msgs or time.monotonic() < deadline:
            if not sub.pending_msgs:
                await asyncio.sleep(0.05)
                continue
            try:
                msg = await sub._sub.next_msg(timeout=0.05)  # noqa: SLF001 - nats-py has no public way to take one
            except Exception:  # noqa: BLE001 - emptied meanwhile
                continue
            if msg.reply:  # a status message (request expired) has none
                await _quietly(msg.nak())
                handed += 1
        if handed:
            log.info("unapplied messages handed back", extra={"consumer": self.durable, "messages": handed})

    async def _subscribe(self, stop: asyncio.Event):
        absent = 0  # checks that found no stream: its producer is not deployed (yet), which may last for good
        while not stop.is_set():
            wait = 1.0
            try:
                js = self._js()
                await js.stream_info(self.stream)
                if absent:
                    log.info("stream found", extra={"stream": self.stream, "consumer": self.durable})
                    absent = 0
                if await self._update_consumer(js):
                    return await js.pull_subscribe(self.filter, durable=self.durable, stream=self.stream,
                                                   config=self.consumer_config())
                wait = 30.0  # refused: the error says what to do; once done, the next attempt subscribes
            except NotFoundError:
                # Said once, then checked each second quietly: a region that runs without the producing service
                # logged this every second, forever. Checking stays quick, so consumption starts at once when it comes.
                (log.info if not absent else log.debug)(
                    "waiting for stream: its service has not created it (yet); checking again each second, quietly",
                    extra={"stream": self.stream, "consumer": self.durable})
                absent += 1
            except Exception as exc:  # noqa: BLE001 - broker not reachable yet
                log.warning("subscribe failed, retrying", extra={"consumer": self.durable, "error": type(exc).__name__})
            await _sleep_or_stop(stop, wait)
        return None

    async def _update_consumer(self, js: JetStreamContext) -> bool:
        """Bring an existing durable consumer to this build's filter, ack wait and max ack pending; whether it is (or
        does not exist yet). JetStream keeps a durable consumer's config from its creation: without this, a metrics
        service that goes from one region to several (`KF_REGIONS`) would keep the one-region filter and never get
        the other regions' events, silently."""
        try:
            info = await js.consumer_info(self.stream, self.durable)
        except NotFoundError:
            return True  # pull_subscribe creates it with this config
        have, want = info.config, self.consumer_config()
        fields = ("filter_subject", "ack_wait", "max_ack_pending")
        changes = {f: (getattr(have, f), getattr(want, f)) for f in fields if getattr(have, f) != getattr(want, f)}
        if not changes:
            return True
        update = dataclasses.replace(have, name=self.durable, durable_name=self.durable,
                                     **{f: new for f, (_old, new) in changes.items()})
        try:
            await js.add_consumer(self.stream, config=update)  # updates it in place (nats-server 2.10+ for the filter)
        except APIError as exc:
            old = have.filter_subject or have.filter_subjects
            log.error(f"durable consumer {self.durable} on {self.stream} has filter {old!r}, this service needs "
                      f"{want.filter_subject!r}, and the server refused to update it ({exc.description}): it "
                      f"consumes nothing meanwhile. Delete it "
                      f"(`nats consumer rm {self.stream} {self.durable}`: it is created again and delivers the whole "
                      "stream, which is applied idempotently); retrying every 30 s",
                      extra={"consumer": self.durable, "stream": self.stream, "old_filter": old,
                             "new_filter": want.filter_subject})
            return False
        log.warning(f"durable consumer {self.durable} on {self.stream} updated: "
                    + ", ".join(f"{f} {old!r} -> {new!r}" for f, (old, new) in changes.items()),
                    extra={"consumer": self.durable, "stream": self.stream})
        if "filter_subject" in changes:
            # The consumer's position is past the messages the old filter passed over (the new region's events stored
            # before the change): it starts again at the stream's beginning. What it applied already is recognised
            # by the inbox, or applied again without a difference by handlers without one.
            try:
                await js.reset_consumer(self.stream, self.durable, seq=1)  # nats-server 2.14+
            except Exception as exc:  # noqa: BLE001 - the new filter applies from here on; say what was left out
                log.error(f"durable consumer {self.durable} on {self.stream} could not be reset to the stream's start "
                          f"after its filter changed ({type(exc).__name__}: {exc}): messages of "
                          f"{want.filter_subject!r} stored before its position are not delivered. Delete it "
                          f"(`nats consumer rm {self.stream} {self.durable}`) and restart the service to have them",
                          extra={"consumer": self.durable, "stream": self.stream})
        return True

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """Apply, commit and acknowledge one fetched batch."""
        await self._commit_and_ack([self._parse(m) for m in msgs], time.perf_counter())

    async def _commit_and_ack(self, items: list[_Item], started: float) -> None:
        try:
            await asyncio.to_thread(self._apply, items)
        except StopConsuming:
            self.stopped = True
            for item in items:
                await _quietly(item.msg.nak())
            return
        except Exception as exc:  # noqa: BLE001 - database trouble: let JetStream redeliver
            log.warning("batch not applied, will be redelivered", extra={"consumer": self.durable, "error": type(exc).__name__})
            for item in items:
                await _quietly(item.msg.nak(delay=2.0))
            return
        if self._on_commit is not None:
            self._on_commit()
        done = []
        for item in items:
            if item.problem is not None:
                try:
                    await self._dead_letter(item)
                except Exception:  # noqa: BLE001 - not parked yet: redeliver rather than lose it
                    await _quietly(item.msg.nak(delay=2.0))
                    continue
            done.append(item.msg)
        await _quietly(ack_all(done))
        self._metrics.batch_seconds.labels(consumer=self.durable).observe(time.perf_counter() - started)

    def _parse(self, msg: Msg) -> _Item:
        seq, pending = stream_position(msg)
        item = _Item(msg=msg, seq=seq, pending=pending)
        try:
            item.envelope = parse_envelope(msg.data)
            # An older version (vN with an upcaster) goes to the handler of the version it upcasts to.
            item.kind = current_type(item.envelope.type)
            _check_origin(msg.subject, item.envelope, item.kind)
            if item.kind in self.handlers or item.kind in self.batch_types:
                item.event = parse_data(item.envelope)
            elif event_class(item.kind) is None:
                # A newer producer's type: skipped and counted. Known types this consumer does not
                # handle are acknowledged without validating their data.
                self._metrics.events_unknown.labels(consumer=self.durable).inc()
        except EnvelopeError as exc:
            item.problem = str(exc)
        return item

    def _apply(self, items: list[_Item]) -> None:
        todo = [i for i in items if i.event is not None]
        if not todo:
            return
        prepared = None
        isolate = False
        if self.batch_prepare is not None:
            batched = [i for i in todo if i.kind not in self.handlers]
            try:
                prepared = (batched, self.batch_prepare([(i.envelope, i.event) for i in batched]))
            except _UNAPPLICABLE:
                isolate = True  # some event cannot be prepared: apply them one by one to find it
        with self._writer():
            if not isolate:
                try:
                    self._apply_in_transaction(todo, isolate=False, prepared=prepared)
                    return
                except _UNAPPLICABLE:
                    pass
            self._apply_in_transaction(todo, isolate=True)

    async def _idle(self) -> bool:
        """Run the idle step; whether it ran (False: database trouble)."""
        try:
            changed = await asyncio.to_thread(self._idle_in_transaction)
        except Exception as exc:  # noqa: BLE001 - database trouble: the caller tries again
            log.warning("idle step failed", extra={"consumer": self.durable, "error": type(exc).__name__})
            return False
        if changed and self._on_commit is not None:
            self._on_commit()
        return True

    def _idle_in_transaction(self) -> bool:
        with self._writer(), self.db.transaction() as session:
            self._serialize(session)
            return self.on_idle(session)

    def _start_in_transaction(self) -> None:
        with self._writer(), self.db.transaction() as session:
            self._serialize(session)
            self.on_start(session)

    @contextlib.contextmanager
    def _writer(self) -> Iterator[None]:
        if is_postgres(self.db.engine):
            yield
            return
        with _SQLITE_WRITERS.setdefault(str(self.db.engine.url), threading.Lock()), writer_file_lock(self.db.engine):
            yield

    def _serialize(self, session: Session) -> None:
        if self.serialize_key and is_postgres(self.db.engine):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": self.serialize_key})

    def _apply_in_transaction(self, todo: list[_Item], *, isolate: bool, prepared: tuple | None = None) -> None:
        with self.db.transaction() as session:
            if isolate:
                begin_now(session)  # on SQLite a savepoint would otherwise commit the events before it when released
            self._serialize(session)
            done: set[str] = set()
            if self.inbox:
                ids = [i.envelope.id for i in todo]
                done.update(session.execute(select(PROCESSED.c.event_id).where(
                    PROCESSED.c.consumer == self.durable, PROCESSED.c.event_id.in_(ids))).scalars())
            rows = []
            count = 0  # applied by the batch handler without an inbox
            batched: list[_Item] = []
            for item in todo:
                event_id = item.envelope.id
                if event_id in done:
                    self._metrics.events_duplicate.labels(consumer=self.durable).inc()
                    continue
                done.add(event_id)  # the same event twice in one batch is applied once
                handler = self.handlers.get(item.kind)
                if handler is None:
                    batched.append(item)
                    continue
                if isolate:
                    try:
                        with session.begin_nested():
                            handler(session, item.envelope, item.event)
                    except _UNAPPLICABLE as exc:
                        item.problem = _why(self.durable, exc)
                        continue
                else:
                    handler(session, item.envelope, item.event)
                rows.append({"consumer": self.durable, "event_id": event_id, "stream_seq": item.seq,
                             "applied_at": datetime.now(UTC), "note": None})
            if self.batch_handler is not None:
                # Called even when every event was a duplicate: the handler still learns where the stream stands.
                info = BatchInfo(backlog=todo[-1].pending, last_seq=todo[-1].seq)
                if prepared is not None and not isolate and len(prepared[0]) == len(batched):  # no duplicate left out
                    self.batch_handler(session, [(i.envelope, i.event) for i in batched], info, prepared=prepared[1])
                else:
                    self._apply_batch(session, batched, isolate, info)
                applied = [i for i in batched if i.problem is None]
                if self.inbox:
                    now = datetime.now(UTC)
                    rows.extend({"consumer": self.durable, "event_id": i.envelope.id, "stream_seq": i.seq,
                                 "applied_at": now, "note": None} for i in applied)
                else:
                    count += len(applied)
            if rows and self.inbox:
                session.execute(insert(PROCESSED), rows)
        self._metrics.events_applied.labels(consumer=self.durable).inc(len(rows) + count)

    def _apply_batch(self, session: Session, items: list[_Item], isolate: bool, info: BatchInfo) -> None:
        if not isolate:
            self.batch_handler(session, [(i.envelope, i.event) for i in items], info)
            return
        for item in items:  # a batch that had a rejected event: find it, apply the others
            try:
                with session.begin_nested():
                    self.batch_handler(session, [(item.envelope, item.event)], info)
            except _UNAPPLICABLE as exc:
                item.problem = _why(self.durable, exc)

    async def _dead_letter(self, item: _Item) -> None:
        js = self._js()
        headers = {"Nats-Msg-Id": f"dlq-{self.durable}-{item.seq}", "Kf-Reason": item.problem[:1000],
                   "Kf-Original-Subject": item.msg.subject, "Kf-Consumer": self.durable,
                   "Kf-Stream-Seq": str(item.seq)}
        body = item.msg.data
        # The server refuses a message whose headers and body exceed its max_payload with an -ERR that closes the
        # connection for good (nats-py checks the body alone): a message stored just under the limit would stop every
        # consumer and the relay of this service. Its dead letter goes without the body, saying where to read it.
        if len(body) + _headers_size(headers) > js._nc.max_payload:  # noqa: SLF001
            headers["Kf-Reason"] = (f"{item.problem[:800]} (body of {len(body)} bytes too large for a dead letter, "
                                    f"left out: read it from {self.stream} at sequence {item.seq})")
            headers["Kf-Original-Stream"] = self.stream
            headers["Kf-Body-Omitted"] = str(len(body))
            body = b""
        await js.publish(dead_letter_subject(self._owner, self.durable.removeprefix(self._owner + "-")),
                         body, headers=headers, timeout=5.0)
        self._metrics.events_dead_lettered.labels(consumer=self.durable).inc()
        log.warning("event dead-lettered", extra={"consumer": self.durable, "reason": item.problem, "stream_seq": item.seq})


def _check_origin(subject: str, envelope: CloudEvent, kind: str) -> None:
    """Refuse (EnvelopeError) an event whose envelope does not belong on `subject` (`kf.REGION.SERVICE.AGGREGATE.EVENT`,
    as `event_subject` builds it and the outbox publishes it, from the same region and type as the envelope): another
    region in the envelope's `region`, or a `type` of another service than the subject's. A type unknown to this build
    (a newer producer's) is checked for its region only."""
    tokens = subject.split(".", 3)
    if len(tokens) < 4 or tokens[0] != "kf":
        raise EnvelopeError(f"subject {subject!r} is not an event subject (kf.REGION.SERVICE.AGGREGATE.EVENT)")
    region, service = tokens[1], tokens[2]
    if envelope.region != region:
        raise EnvelopeError(f"region: the envelope names region {envelope.region!r}, but the event came on subject "
                            f"{subject!r} of region {region!r}")
    model = event_class(kind)
    if model is not None and model.service != service:
        raise EnvelopeError(f"type: {envelope.type!r} is an event of the {model.service} service, but it came on "
                            f"subject {subject!r} of the {service} service")


def _headers_size(headers: dict[str, str]) -> int:
    """Bytes the headers take on the wire (`NATS/1.0`, a line per header, an empty line), as the server counts them
    against its max_payload."""
    return len(b"NATS/1.0\r\n\r\n") + sum(len(k.encode()) + len(v.encode()) + 4 for k, v in headers.items())


_LOCK_FILES: dict[str, int] = {}


@contextlib.contextmanager
def writer_file_lock(engine) -> Iterator[None]:
    """Consumers in other processes writing the same SQLite file (helpers catching up) take turns on a lock file
    beside it: the next writer wakes as soon as the last one commits, instead of polling SQLite's busy handler."""
    path = engine.url.database
    if not path or path == ":memory:":
        yield
        return
    fd = _LOCK_FILES.get(path)
    if fd is None:
        fd = _LOCK_FILES[path] = os.open(f"{path}.writer", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def stream_position(msg: Msg) -> tuple[int, int]:
    """(stream sequence, messages pending behind it) of a JetStream message, read from its reply subject
    `$JS.ACK[.domain.account].stream.consumer.delivered.stream_seq.consumer_seq.time.pending[...]`; (0, 0) for another
    message. nats-py's `msg.metadata` builds dataclasses and a datetime for it: a third of the time to parse an event."""
    tokens = (msg.reply or "").split(".")
    try:
        if len(tokens) == 9 and tokens[0] == "$JS" and tokens[1] == "ACK":
            return int(tokens[5]), int(tokens[8])
        if len(tokens) >= 11 and tokens[0] == "$JS" and tokens[1] == "ACK":
            return int(tokens[7]), int(tokens[10])
    except ValueError:
        pass
    return 0, 0


async def ack_all(msgs: list[Msg]) -> None:
    """Acknowledge JetStream messages with one write to the connection instead of one `msg.ack()` each (which
    validates the subject, queues a command and awaits a flush future per message): about 3 µs less per message,
    a pull-and-ack loop 4 % faster (docs/benchmarks.md). An ack is a publish to the message's reply subject with an
    empty payload, as nats-py writes it. Without the nats-py internals this relies on, or while reconnecting, each is
    acknowledged on its own."""
    if not msgs:
        return
    nc = msgs[0]._client  # noqa: SLF001
    send, flush = getattr(nc, "_send_command", None), getattr(nc, "_flush_pending", None)
    if send is None or flush is None or not nc.is_connected or not all(m.reply for m in msgs):
        for m in msgs:
            await _quietly(m.ack())
        return
    await send(b"".join(b"PUB " + m.reply.encode() + b" 0\r\n\r\n" for m in msgs))
    await flush()
    for m in msgs:
        m._ackd = True  # noqa: SLF001 - as msg.ack() marks it


async def pull(sub, batch: int, timeout: float) -> list[Msg]:
    """Up to `batch` messages of a pull subscription: those the stream has now, or else the first to come within about
    `timeout` seconds (with any delivered alongside it).

    nats-py's `fetch` waits for each message of a batch through a task with a timeout of its own (`next_msg`): in a
    consumer applying 200,000 events that bookkeeping took more interpreter time than applying them, and a plain
    pull-and-ack loop ran at 12,700-14,000 messages/s with it against 29,500-34,800 with this (docs/benchmarks.md).
    Here the messages are taken off the subscription's queue as they arrive, under one deadline: first those
    delivered for an earlier request (a waiting request that returned at its first message goes on delivering), then what a `no_wait`
    request finds, then, when the stream had nothing, what a waiting request brings first. Without the nats-py
    internals this relies on, `fetch` is used."""
    try:
        inner, nms, deliver, nc = sub._sub, sub._nms, sub._deliver, sub._nc  # noqa: SLF001
        queue = inner._pending_queue  # noqa: SLF001
    except AttributeError:  # another nats-py: its own fetch
        return await sub.fetch(batch, timeout=timeout)

    def status_of(msg: Msg) -> str | None:
        inner._pending_size -= len(msg.data)  # noqa: SLF001 - kept as nats-py's own fetch keeps it
        return msg.headers.get("Status") if msg.headers and not msg.data else None

    msgs: list[Msg] = []

    def take_queued() -> None:
        while len(msgs) < batch and not queue.empty():
            msg = queue.get_nowait()
            if status_of(msg) is None:  # a status here ended an earlier request
                msgs.append(msg)

    take_queued()
    if msgs:
        return msgs
    try:
        async with asyncio.timeout(timeout + 0.5):  # the server ends a waiting request at `timeout` (408)
            # What the stream has now: the messages, then a 404 when they were fewer than asked.
            await nc.publish(nms, json.dumps({"batch": batch, "no_wait": True}).encode(), deliver)
            while len(msgs) < batch:
                msg = await queue.get()
                status = status_of(msg)
                if status is None:
                    msgs.append(msg)
                elif status != "100":  # 404 none left, 408 an earlier request expired, 409 refused
                    break
            if msgs:
                return msgs
            await nc.publish(nms, json.dumps({"batch": batch, "expires": int(timeout * 1e9)}).encode(), deliver)
            while not msgs:
                msg = await queue.get()
                status = status_of(msg)
                if status is None:
                    msgs.append(msg)
                    take_queued()
                elif status in ("408", "409"):  # this request (or an earlier one) expired, or was refused
                    break
    except TimeoutError:
        pass
    return msgs


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def _quietly(awaitable) -> None:
    try:
        await awaitable
    except Exception:  # noqa: BLE001 - an ack lost with the connection is redelivered and deduplicated
        pass
