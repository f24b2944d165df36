"""The CloudEvents 1.0 envelope in structured JSON mode, with the `region` extension."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kf.contracts.catalog import DomainEvent, event_class, upcast
from kf.contracts.fields import Moment
from kf.contracts.subjects import TOKEN_PATTERN, check_token

MAX_EVENT_BYTES = 512 * 1024  # the largest gathering.held the events API accepts fits (test_kit_contracts.py)


class CloudEvent(BaseModel):
    """What travels on NATS: metadata plus the event's `data`."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    time: Moment
    subject: str | None = Field(default=None, max_length=200)
    datacontenttype: Literal["application/json"] = "application/json"
    # The region whose subject (`kf.REGION.SERVICE...`) carries the event; consumers refuse an event whose envelope
    # names another one (kf/runtime/consumer.py).
    region: str = Field(min_length=1, max_length=64, pattern=TOKEN_PATTERN)
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class EnvelopeError(ValueError):
    """A message that is not a valid event of this catalogue; the text says why."""


def wrap(event: DomainEvent, *, region: str, subject: str | None, time: datetime | None = None,
         event_id: str | None = None) -> CloudEvent:
    """Put a domain event into its envelope."""
    check_token(region, "region")
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=f"/{region}/{event.service}",
        type=event.type_name(),
        time=time or datetime.now(UTC),
        subject=subject,
        region=region,
        data=event.model_dump(mode="json"),
    )


def parse_envelope(raw: bytes) -> CloudEvent:
    """Parse bytes from NATS into an envelope, or raise EnvelopeError naming what is wrong."""
    if len(raw) > MAX_EVENT_BYTES:
        raise EnvelopeError(f"message is {len(raw)} bytes, larger than the {MAX_EVENT_BYTES} allowed")
    try:
        return CloudEvent.model_validate_json(raw)
    except ValidationError as exc:
        raise EnvelopeError(_describe(exc)) from None


def parse_data(envelope: CloudEvent) -> DomainEvent | None:
    """The typed event, after upcasting; None when the type is unknown to this build."""
    type_name, data = upcast(envelope.type, envelope.data)
    model = event_class(type_name)
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EnvelopeError(f"{type_name}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "message"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
