"""Field types shared by the event contracts: `Moment`, the date-time of every event and API field (timezone-aware,
between 1900 and 2999 in UTC), and `Ident`, an id of at most 64 characters; and the forums' calendar: the day a
moment falls on in Norway (`local_date`).

A date-time at the calendar's edge (`0001-01-01T00:30+01:00`, `9999-12-31T23:00-05:00`) is valid RFC 3339 but has no
UTC equivalent in Python, so converting it (every store and every version stamp does) raised deep inside a handler:
a 500 for an API call, a batch redelivered for ever for an event. No forum date is near those edges; refusing them
where they enter gives a 422 naming the field, or a dead-lettered event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, Field

FIRST_YEAR, LAST_YEAR = 1900, 2999

# Compared in UTC by pydantic-core itself: a Python validator here cost 5 µs on every event's envelope.
Moment = Annotated[AwareDatetime, Field(ge=datetime(FIRST_YEAR, 1, 1, tzinfo=UTC), lt=datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC))]

# An id in an event (aggregate ids, references, focus areas, indicators): the consumers store them in columns of 64
# characters, where a longer one failed on PostgreSQL after parsing and blocked its batch instead of being refused.
Ident = Annotated[str, Field(min_length=1, max_length=64)]

# The forums are Norwegian: a business date is a day of the Norwegian calendar. A web article published at midnight
# on 1 March in Oslo is 23:00 on 28 February in UTC, and counted in February it moved a month's figures.
FORUM_TIME = ZoneInfo("Europe/Oslo")  # the tzdata package provides it where the system has no time zone database


def local_date(moment: datetime) -> date:
    """The day a moment falls on in the forums' time zone."""
    return moment.astimezone(FORUM_TIME).date()
