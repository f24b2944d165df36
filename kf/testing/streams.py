"""Read what really landed on a JetStream stream, for assertions."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from kf.runtime.broker import all_acknowledged as _all_acknowledged


@dataclass(frozen=True)
class StoredMessage:
    seq: int
    subject: str
    headers: dict[str, str]
    data: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.data)


async def read_stream_async(url: str, stream: str, filter_subject: str | None = None, **connect) -> list[StoredMessage]:
    nc = await nats.connect(url, **connect)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            return []
        if info.state.messages == 0:
            return []
        sub = await js.pull_subscribe(filter_subject or ">", stream=stream, config=ConsumerConfig(
            ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=5.0))
        out: list[StoredMessage] = []
        while True:
            try:
                msgs = await sub.fetch(1000, timeout=0.5)
            except (nats.errors.TimeoutError, TimeoutError):
                break
            out += [StoredMessage(m.metadata.sequence.stream, m.subject, dict(m.headers or {}), m.data) for m in msgs]
            if out and out[-1].seq >= info.state.last_seq:
                break
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


def read_stream(url: str, stream: str, filter_subject: str | None = None, **connect) -> list[StoredMessage]:
    """Synchronous form for tests that are not async."""
    return asyncio.run(read_stream_async(url, stream, filter_subject, **connect))


async def all_acknowledged_async(url: str, durables: dict[str, str], **connect) -> bool:
    """`kf.runtime.broker.all_acknowledged` over a connection of its own."""
    nc = await nats.connect(url, **connect)
    try:
        return await _all_acknowledged(nc.jetstream(), durables)
    finally:
        await nc.close()


def all_acknowledged(url: str, durables: dict[str, str], **connect) -> bool:
    return asyncio.run(all_acknowledged_async(url, durables, **connect))


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout}s (last value: {last!r})")
