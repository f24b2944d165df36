"""Coordinators' forms: each posts to one service's HTTP API and shows the API's errors by their field."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

def optional(text: str) -> str | None:
    """An empty text field means the value is not given."""
    return text.strip() or None


def moment(day: date, at: time) -> str:
    """A day and a clock time in Norway as the RFC 3339 moment the APIs expect."""
    return datetime.combine(day, at, tzinfo=ZoneInfo("Europe/Oslo")).isoformat()
