"""Catching up: far behind its streams, the service writes only the facts and derives the rest once, as a replay does.

Deriving batch by batch lowers each pair summary and re-adds each entity's counters again and again while a large
backlog is applied; deriving once at the end writes each derived row once (`derive.derive_all`), at a cost that grows
with the whole history. So the service catches up only when the backlog is large (at least `threshold` messages on
one stream) and large against what that stream already holds (at least a quarter of it); then every batch of every
consumer writes only facts, whichever consumer or replica fetched it, until the consumers of this process are all
within one batch of the end, and the batch that brings them there derives everything. Until then the KPIs, which
read the derived tables, stay as they were when catching up began: a steering group sees a whole earlier state
rather than a half-applied one. The service logs when it begins and ends catching up.

While catching up, helper processes (helpers.py, `KF_CATCH_UP_PROCESSES`) write facts beside this one.

Every batch reads the marker in its own serialised transaction, so deferring and deriving interleave safely across
consumers and replicas; a replica that stops mid-way leaves the marker for the next start (`consumers.finish_pending_derive`).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session

from kf.runtime.consumer import BatchInfo
from services.metrics.derive import derive_all, is_pending, mark_pending
from services.metrics.helpers import HelperProcesses, worth_helping

log = logging.getLogger("kf.metrics")


class CatchUp:
    """Shared by the consumers of one process: each reports the backlog behind its latest batch."""

    def __init__(self, threshold: int, near: int, helpers: HelperProcesses | None = None) -> None:
        self.threshold = threshold  # 0: never catch up, derive batch by batch
        self.near = near  # within this many messages of the end counts as caught up (one batch)
        self.helpers = helpers  # started while catching up, to write facts in parallel (helpers.py)
        self._backlogs: dict[str, int] = {}
        self._lock = threading.Lock()

    def before(self, s: Session, consumer: str, info: BatchInfo | None) -> bool:
        """Whether this batch writes only facts (marking the derived tables as lagging when catching up begins)."""
        if info is not None:
            with self._lock:
                self._backlogs[consumer] = info.backlog
        if is_pending(s):
            return True
        if self.threshold and info is not None and info.backlog >= max(self.threshold, info.last_seq // 4):
            log.info("far behind: writing facts only, deriving once caught up",
                     extra={"consumer": consumer, "backlog": info.backlog})
            mark_pending(s)
            return True
        return False

    def idle(self, s: Session, consumer: str) -> bool:
        """A consumer found nothing more to fetch. Helpers may have applied the last batches of a stream, so that no
        batch of this process brought it near the end: derive now if every consumer of this process is near it."""
        with self._lock:
            self._backlogs[consumer] = 0
            near = all(b <= self.near for b in self._backlogs.values())
        if near and is_pending(s):
            derive_all(s)
            log.info("caught up: derived tables rebuilt from the facts")
            return True
        return False

    def after(self, s: Session) -> None:
        """After a facts-only batch: derive everything once every consumer of this process is near the end."""
        with self._lock:
            near = all(b <= self.near for b in self._backlogs.values())
        if near:
            derive_all(s)
            log.info("caught up: derived tables rebuilt from the facts")
        elif self.helpers is not None and worth_helping(list(self._backlogs.values()), self.near):
            self.helpers.start()  # a no-op while they run; they end by themselves near the end
