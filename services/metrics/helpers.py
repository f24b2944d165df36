"""Helper processes that write facts while the service catches up or replays, so every core does some of the work.

One Python process applies events on one core: fetching, parsing and validating hold the GIL (a replay measured
~105 % CPU on two cores, the second nearly idle; docs/benchmarks.md). While the derived tables are marked as lagging
(`derive.mark_pending`: a replay, or a consumer catching up), batches write only facts, which are versioned merges and
so independent of order; any number of processes can then fetch from the same durable consumers. JetStream hands
each message to one fetcher, and one that comes back is applied again without a difference (positions.py).

A helper runs the metrics consumers with a batch handler that applies a batch only while the marker is set, checked
in the batch's own serialised transaction (on SQLite the writers' lock file, on PostgreSQL the advisory lock). The
first batch after the service derived finds the marker gone: it is handed back to JetStream at once
(`StopConsuming`) and the helper ends. Helpers never derive; they also end when the marker is gone, when they are within a
few batches of the end of every stream (the service applies the rest and derives with their memory already free),
when the service stops, and when their parent process is gone (killed).
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading

from kf.runtime import collector
from kf.runtime.logs import configure_logging
from kf.runtime.service import ServiceRuntime
from services.metrics.derive import is_pending
from services.metrics.settings import Settings

log = logging.getLogger("kf.metrics")

_POLL = 0.25
END_BATCHES = 4  # a helper ends when its consumers are within this many batches of the end
START_BATCHES = 16  # and is started only for a backlog of more than this many batches


def helper_count(settings: Settings) -> int:
    """Helper processes beside the service's own: `catch_up_processes` in all, 0 meaning one per CPU core (at most 4)."""
    total = settings.catch_up_processes or min(os.cpu_count() or 1, 4)
    return max(total - 1, 0)


class HelperProcesses:
    """Starts helpers on demand (one set at a time) and stops them; safe to call from any thread.

    A helper is `python -m services.metrics.helpers`, given the service's settings on its standard input (tests and
    the CLI build settings differently; the helper must use the very same ones)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.count = helper_count(settings)
        self._procs: list[subprocess.Popen] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the helpers unless they are running (a few milliseconds: the helpers import and connect on their own)."""
        with self._lock:
            if not self.count or any(p.poll() is None for p in self._procs):
                return
            payload = pickle.dumps(self.settings)
            self._procs = []
            for number in range(1, self.count + 1):
                proc = subprocess.Popen([sys.executable, "-m", "services.metrics.helpers", str(os.getpid()), str(number)],
                                        stdin=subprocess.PIPE)
                proc.stdin.write(payload)
                proc.stdin.close()
                self._procs.append(proc)
        log.info("helper processes started: they write facts while the derived tables lag", extra={"helpers": self.count})

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the helpers to finish their batch and end (SIGTERM); wait, and kill one that does not end in time."""
        with self._lock:
            procs = list(self._procs)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def main() -> None:
    """A helper process: the metrics consumers, facts only while the derived tables lag, until told or no longer."""
    parent, number = int(sys.argv[1]), int(sys.argv[2])
    settings: Settings = pickle.loads(sys.stdin.buffer.read())
    configure_logging(settings.service, settings.log_level)
    collector.tune()
    asyncio.run(_run(settings, parent, number))


async def _run(settings: Settings, parent: int, number: int) -> None:
    from services.metrics.consumers import add_consumers  # through catchup.py, it imports this module

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
    runtime = ServiceRuntime(settings)
    consumers = add_consumers(runtime, settings.served_regions(), helper=True)
    await runtime.start(relay=False)
    reason = "stopped by the service"
    try:
        while not stop.is_set():
            await asyncio.sleep(_POLL)
            if os.getppid() != parent:
                reason = "service process gone"
                break
            if all(c.stopped for c in consumers) or not await asyncio.to_thread(_pending, runtime):
                reason = "derived tables up to date"
                break
            if near_the_end([c.batch_handler.backlog for c in consumers], settings.consumer_batch_size):
                reason = "near the end of the streams"
                break
    finally:
        # A last batch may wait for the writers' lock while the service derives (minutes on a large history): it
        # must end written or handed back, not cancelled, or its messages would wait out the ack wait.
        await runtime.stop(grace=settings.ack_wait_seconds)
    registry = runtime.metrics.registry
    applied = sum(registry.get_sample_value("kf_events_applied_total", {"consumer": c.durable}) or 0 for c in consumers)
    log.info("helper process ended", extra={"helper": number, "reason": reason, "events_applied": int(applied)})


def near_the_end(backlogs: list[int | None], batch_size: int) -> bool:
    """Whether a helper's consumers are all within a few batches of the end (a consumer that has had no batch yet
    has nothing for it): the service applies the rest alone, and the helper's memory is free before it derives."""
    return any(b is not None for b in backlogs) and all(b is None or b <= END_BATCHES * batch_size for b in backlogs)


def worth_helping(backlogs: list[int], batch_size: int) -> bool:
    """Whether a backlog is large enough to start helpers for (well above where they end: no start-stop churn)."""
    return any(b > START_BATCHES * batch_size for b in backlogs)


def _pending(runtime: ServiceRuntime) -> bool:
    with runtime.db.transaction() as s:
        return is_pending(s)


if __name__ == "__main__":
    main()
