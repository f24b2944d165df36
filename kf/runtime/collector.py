"""The garbage collector of a service process: `tune()` is called by `kf serve` and `kf replay` once the service is
built, never on import (tests run many services in one process and keep CPython's defaults).

A consumer allocates many short-lived objects per event (the parsed envelope, the typed event, row dicts), nearly all
freed by reference counting. With CPython's default thresholds (700, 10, 10) the collector still ran a young
collection every 700 allocations and an older one every 7,000, each walking the objects alive at the time; replaying
200,000 events, that was about a fifth of the facts phase (docs/benchmarks.md). Cycles are still collected, later.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune() -> None:
    gc.freeze()  # what start-up built (modules, models, compiled statements) stays: later collections skip it
    gc.set_threshold(*THRESHOLDS)
