"""Subject and stream names, defined once for every producer and consumer."""

from __future__ import annotations

import re

SERVICES: tuple[str, ...] = ("membership", "events", "measures", "metrics")
DEAD_LETTER_STREAM = "KF_DEADLETTER"
DEAD_LETTER_PREFIX = "kfdlq"
# The outbox relay republishes a row it published but could not mark sent (a crash, a database outage); JetStream
# drops the copy only within this window, so it covers a day-long outage, not JetStream's default 2 minutes. The
# server keeps each message id for that long: a few MB for a forum's day of events.
DUPLICATE_WINDOW_SECONDS = 24 * 3600.0
# A region, service, aggregate or event name as a subject token; the envelope's `region` is one too.
TOKEN_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
_TOKEN = re.compile(TOKEN_PATTERN)


def check_token(value: str, what: str) -> str:
    """A subject token may hold only lower-case letters, digits, '-' and '_' (no dots or wildcards)."""
    if not _TOKEN.match(value):
        raise ValueError(f"{what} must be lower-case letters, digits, '-' or '_', got {value!r}")
    return value


def event_subject(region: str, service: str, aggregate: str, event: str) -> str:
    """`kf.REGION.SERVICE.AGGREGATE.EVENT`, e.g. `kf.ostfold.membership.member.joined`."""
    for value, what in ((region, "region"), (service, "service"), (aggregate, "aggregate"), (event, "event")):
        check_token(value, what)
    return f"kf.{region}.{service}.{aggregate}.{event}"


def stream_name(service: str) -> str:
    """One stream per owning service: `KF_MEMBERSHIP`, `KF_EVENTS`, ..."""
    return f"KF_{check_token(service, 'service').upper()}"


def stream_subjects(service: str) -> list[str]:
    """Every region's events of one service land in that service's stream."""
    return [f"kf.*.{check_token(service, 'service')}.>"]


def service_filter(service: str, region: str | None = None) -> str:
    """The subject filter a consumer uses to read one service's events (of one region, or all)."""
    return f"kf.{region or '*'}.{service}.>"


def dead_letter_subject(service: str, consumer: str) -> str:
    """Where a consumer parks a message it cannot apply, with the reason in a header."""
    return f"{DEAD_LETTER_PREFIX}.{service}.{consumer}"


def inbox_prefix(service: str) -> str:
    """Where a service's NATS connection receives its replies (JetStream API answers, pulled messages): a prefix of its
    own, so that its NATS user may subscribe there and nowhere else, not to another service's replies."""
    return f"_INBOX.{check_token(service, 'service')}"
