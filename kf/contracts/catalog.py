"""Event models: frozen, versioned pydantic models registered by their CloudEvents type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from kf.contracts.subjects import check_token, event_subject

TYPE_PREFIX = "no.kompetanseforum"

_REGISTRY: dict[str, type["DomainEvent"]] = {}
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[str, tuple[str, Upcaster]] = {}


class DomainEvent(BaseModel):
    """Base of every published event: past tense, frozen, one meaning per field forever.

    Subclasses declare where they belong; the CloudEvents `type` and the NATS subject
    are derived from these class variables and nowhere else.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ClassVar[str]
    aggregate: ClassVar[str]
    event: ClassVar[str]
    version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event" in cls.__dict__:
            for name in ("service", "aggregate", "event"):
                check_token(getattr(cls, name), name)
            existing = _REGISTRY.get(cls.type_name())
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise TypeError(f"event type {cls.type_name()} is declared twice")
            _REGISTRY[cls.type_name()] = cls

    @classmethod
    def short_name(cls) -> str:
        """`member.joined`: the name used in docs, KPI formulas and handlers."""
        return f"{cls.aggregate}.{cls.event}"

    @classmethod
    def type_name(cls) -> str:
        """The CloudEvents type, e.g. `no.kompetanseforum.member.joined.v1`."""
        return f"{TYPE_PREFIX}.{cls.aggregate}.{cls.event}.v{cls.version}"

    @classmethod
    def subject(cls, region: str) -> str:
        return event_subject(region, cls.service, cls.aggregate, cls.event)


def event_class(type_name: str) -> type[DomainEvent] | None:
    """The model for a CloudEvents type, or None for a type this build does not know."""
    return _REGISTRY.get(type_name)


def registered_events() -> list[type[DomainEvent]]:
    return sorted(_REGISTRY.values(), key=lambda c: (c.service, c.aggregate, c.event, c.version))


def register_upcaster(old_type: str, new_type: str) -> Callable[[Upcaster], Upcaster]:
    """Declare how an old event version's data becomes the next version's data."""

    def decorate(func: Upcaster) -> Upcaster:
        _UPCASTERS[old_type] = (new_type, func)
        return func

    return decorate


def current_type(type_name: str) -> str:
    """The newest type an event of `type_name` upcasts to, without touching its data."""
    seen = set()
    while type_name in _UPCASTERS and type_name not in seen:
        seen.add(type_name)
        type_name = _UPCASTERS[type_name][0]
    return type_name


def upcast(type_name: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Follow the upcaster chain until the newest version this build knows."""
    seen = set()
    while type_name in _UPCASTERS and type_name not in seen:
        seen.add(type_name)
        type_name, func = _UPCASTERS[type_name][0], _UPCASTERS[type_name][1]
        data = func(data)
    return type_name, data
