"""Publish envelopes onto the real streams as the services' outbox relays would (`Nats-Msg-Id` = event id)."""

from __future__ import annotations

import asyncio

import nats

from kf.contracts.catalog import event_class
from kf.contracts.envelope import CloudEvent
from kf.contracts.subjects import SERVICES, stream_name
from kf.runtime.broker import ensure_dead_letter_stream, ensure_stream


def subject_of(env: CloudEvent) -> str:
    return event_class(env.type).subject(env.region)


async def ensure_streams(js) -> None:
    for service in SERVICES:
        await ensure_stream(js, service)
    await ensure_dead_letter_stream(js)


async def publish_async(url: str, envelopes: list[CloudEvent], *, window: int = 1000) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        pending = []
        for env in envelopes:
            service = event_class(env.type).service
            pending.append(js.publish_async(subject_of(env), env.to_json(), stream=stream_name(service),
                                            headers={"Nats-Msg-Id": env.id}))
            if len(pending) >= window:
                await acknowledged(pending)
        await acknowledged(pending)
    finally:
        await nc.close()


async def publish_raw_async(url: str, subject: str, payload: bytes, msg_id: str) -> None:
    """Publish bytes that are not a valid event (to test the dead-letter path)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        await js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id})
    finally:
        await nc.close()


def publish(url: str, envelopes: list[CloudEvent]) -> None:
    asyncio.run(publish_async(url, envelopes))


def publish_raw(url: str, subject: str, payload: bytes, msg_id: str) -> None:
    asyncio.run(publish_raw_async(url, subject, payload, msg_id))


async def acknowledged(pending: list) -> None:
    """Send the publishes, then wait for the stream's acknowledgement of each (`publish_async` returns a future);
    empties `pending`."""
    await asyncio.gather(*await asyncio.gather(*pending))
    pending.clear()
