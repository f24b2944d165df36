"""The NATS connection (a FastStream broker) and idempotent stream provisioning."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from faststream.nats import NatsBroker
from faststream.security import SASLPlaintext
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from kf.contracts.catalog import registered_events
from kf.contracts.subjects import (DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM, DUPLICATE_WINDOW_SECONDS, inbox_prefix,
                                   stream_name, stream_subjects)
from kf.runtime.settings import ServiceSettings

log = logging.getLogger("kf.broker")


CONNECT_TIMEOUT = 2.0  # seconds per TCP connection attempt to one server


def connect_attempt_seconds(settings: ServiceSettings) -> float:
    """How long one first-connect attempt (`broker.start()`) may take before it is given up and retried. Without a
    bound it never returns while NATS is unreachable: with max_reconnect_attempts=-1 nats-py retries the first
    connect forever, silently."""
    servers = len([u for u in settings.nats_url.split(",") if u.strip()]) or 1
    return 2.5 + servers * (CONNECT_TIMEOUT + 0.5)


def make_broker(settings: ServiceSettings, *, declare_publishers: bool = True,
                error_cb: Callable[[Exception], Awaitable[None]] | None = None) -> NatsBroker:
    """A broker that reconnects forever; its publishers document the service's events (AsyncAPI). `error_cb` hears
    each connection error, also those of the first connect, which nats-py otherwise retries without a word."""
    kwargs: dict = {"max_reconnect_attempts": -1, "reconnect_time_wait": 0.5, "connect_timeout": CONNECT_TIMEOUT,
                    "name": f"kf-{settings.service}-{settings.region}", "log_level": logging.DEBUG,
                    "inbox_prefix": inbox_prefix(settings.service)}  # its NATS user may subscribe only there
    if error_cb is not None:
        kwargs["error_cb"] = error_cb
    if settings.nats_creds_file:
        kwargs["user_credentials"] = settings.nats_creds_file
    elif settings.nats_user:
        password = settings.nats_password.get_secret_value() if settings.nats_password else ""
        kwargs["security"] = SASLPlaintext(username=settings.nats_user, password=password)
    broker = NatsBroker(settings.nats_url.split(","), **kwargs)
    if declare_publishers:
        for model in registered_events():
            if model.service == settings.service:
                broker.publisher(model.subject(settings.region), schema=model, title=model.short_name(),
                                 description=(model.__doc__ or model.type_name()).strip())
    return broker


def jetstream(broker: NatsBroker) -> JetStreamContext:
    return broker.config.connection_state.stream


async def all_acknowledged(js: JetStreamContext, durables: dict[str, str]) -> bool:
    """Whether every durable consumer (stream -> durable name) exists and has had each message of its stream delivered
    and acknowledged: none waiting, none awaiting an ack. For a consumer that acknowledges after its commit, everything
    its stream holds is then applied."""
    for stream, durable in durables.items():
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:
            return False
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def ensure_stream(js: JetStreamContext, service: str, *, replicas: int = 1) -> None:
    """Create or update the service's stream; safe to run from every replica at every start."""
    config = StreamConfig(name=stream_name(service), subjects=stream_subjects(service),
                          storage=StorageType.FILE, duplicate_window=DUPLICATE_WINDOW_SECONDS,
                          num_replicas=replicas, description=f"Domain events owned by the {service} service")
    await _add_or_update(js, config)


async def ensure_dead_letter_stream(js: JetStreamContext, *, replicas: int = 1) -> None:
    config = StreamConfig(name=DEAD_LETTER_STREAM, subjects=[f"{DEAD_LETTER_PREFIX}.>"], storage=StorageType.FILE,
                          duplicate_window=DUPLICATE_WINDOW_SECONDS, num_replicas=replicas,
                          description="Messages a consumer could not apply, with the reason")
    await _add_or_update(js, config)


async def _add_or_update(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        info = await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
        log.info("stream created", extra={"stream": config.name})
        return
    current = info.config
    if (sorted(current.subjects or []) != sorted(config.subjects or [])
            or current.duplicate_window != config.duplicate_window or current.num_replicas != config.num_replicas):
        await js.update_stream(config)
        log.info("stream updated", extra={"stream": config.name})
