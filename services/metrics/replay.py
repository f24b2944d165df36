"""`kf replay metrics`: drop the durable consumers and projections, then rebuild them from the streams: the facts
batch by batch, then the derived tables (pair summaries, measure ties, counters) once at the end. With
`KF_CATCH_UP_PROCESSES` above 1, helper processes (helpers.py) write facts beside this one.

Run it with the metrics service stopped; the service resumes from the rebuilt position when it starts.
"""

from __future__ import annotations

import asyncio
import time

from nats.js.errors import NotFoundError

from kf.runtime.service import ServiceRuntime
from services.metrics import positions
from services.metrics.consumers import add_consumers
from services.metrics.derive import derive_all, mark_pending
from services.metrics.helpers import HelperProcesses
from services.metrics.settings import Settings
from services.metrics.store import clear_projections


HELPERS_FROM = 2_000  # messages; fewer are replayed before helper processes would have started


STALL_SECONDS = 600.0  # a replay gives up when its consumers acknowledge nothing for this long


async def replay(settings: Settings, *, stall: float = STALL_SECONDS, connect_timeout: float = 30.0) -> str:
    """Rebuild; as long as it takes while it moves on (a million events take minutes, a large history may take
    hours), giving up only when no message is acknowledged for `stall` seconds."""
    runtime = ServiceRuntime(settings)
    consumers = add_consumers(runtime, settings.served_regions(), derive=False)
    helpers = HelperProcesses(settings)
    await runtime.start(relay=False, consumers=False)
    try:
        try:
            await asyncio.wait_for(runtime.connected.wait(), timeout=connect_timeout)
        except TimeoutError:
            raise SystemExit(f"kf: cannot reach NATS at {settings.nats_url_display()} (KF_NATS_URL) within "
                             f"{connect_timeout:.0f}s; nothing was changed. Is the server running, and are "
                             "KF_NATS_USER/KF_NATS_PASSWORD or KF_NATS_CREDS_FILE right?") from None
        js = runtime.js()
        present, total = [], 0
        for consumer in consumers:
            try:
                info = await js.stream_info(consumer.stream)
            except NotFoundError:
                continue
            present.append(consumer)
            total += info.state.messages
            try:
                await js.delete_consumer(consumer.stream, consumer.durable)
            except NotFoundError:
                pass
        await asyncio.to_thread(_clear, runtime, [c.durable for c in consumers])
        started = time.perf_counter()
        if total >= HELPERS_FROM:
            helpers.start()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(c.run(stop)) for c in present]
        floor, moved = -1, time.monotonic()
        while True:
            done, now_floor = await _progress(js, present)
            if done:
                break
            if now_floor != floor:
                floor, moved = now_floor, time.monotonic()
            elif time.monotonic() - moved > stall:
                raise SystemExit(f"kf replay metrics: nothing acknowledged for {stall:.0f}s (see the log for why); "
                                 "the derived tables stay marked for a rebuild, which the service or the next "
                                 "replay does")
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(helpers.stop)
        facts = time.perf_counter() - started
        await asyncio.to_thread(_derive, runtime)
        seconds = time.perf_counter() - started
        applied = await asyncio.to_thread(_applied, runtime)
        streams = ", ".join(c.stream for c in present) or "none"
        return (f"metrics: replayed {total} messages from {streams} in {seconds:.1f}s "
                f"({total / seconds if seconds else 0:.0f} msg/s: facts {facts:.1f}s, derived tables "
                f"{seconds - facts:.1f}s); {applied} events applied to the projections")
    finally:
        await asyncio.to_thread(helpers.stop)
        await runtime.stop()


def _clear(runtime: ServiceRuntime, durables: list[str]) -> None:
    with runtime.db.transaction() as s:
        clear_projections(s, durables)
        mark_pending(s)  # until the end: a service started after an interrupted replay derives first


def _derive(runtime: ServiceRuntime) -> None:
    with runtime.db.transaction() as s:
        derive_all(s)


def _applied(runtime: ServiceRuntime) -> int:
    with runtime.db.transaction() as s:
        return positions.events_applied(s)


async def _progress(js, consumers) -> tuple[bool, int]:
    """(whether every consumer is running and has had each message of its stream delivered and acknowledged, the sum
    of their acknowledgement floors, which grows while the replay moves on), from one look at each consumer."""
    done, floor = all(c.ready.is_set() for c in consumers), 0
    for c in consumers:
        try:
            info = await js.consumer_info(c.stream, c.durable)
        except NotFoundError:
            done = False
            continue
        floor += info.ack_floor.stream_seq
        done = done and not info.num_pending and not info.num_ack_pending
    return done, floor
