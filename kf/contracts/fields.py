"""Field types shared by the event contracts: `Moment`, the date-time of every event and API field (timezone-aware,
between 1900 and 2999 in UTC), `Day`, a business date in the same years, `Figure`, a finite number of at most 1e12
either way, and `Ident`, an id of at most 64 characters; and the forums' calendar: the day a moment falls on in Norway
(`local_date`).

A date-time at the calendar's edge (`0001-01-01T00:30+01:00`, `9999-12-31T23:00-05:00`) is valid RFC 3339 but has no
UTC equivalent in Python, so converting it (every store and every version stamp does) raised deep inside a handler:
a 500 for an API call, a batch redelivered for ever for an event. No forum date is near those edges; refusing them
where they enter gives a 422 naming the field, or a dead-lettered event.

A business date (`held_on`, `joined_on`, `period_end`, ...) has the same years: the metrics service adds a year to an
attendance date and counts month ends between dates, and a `gathering.held` of 9999-12-31 raised OverflowError there
on every delivery. A figure (an effect report's value, a goal's baseline) is finite and at most 1e12 either way: one
NaN summed into a KPI spoilt it for good, even after a correction, and sums of figures near the float's limit
overflow to infinity.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, Field

FIRST_YEAR, LAST_YEAR = 1900, 2999

# Compared in UTC by pydantic-core itself: a Python validator here cost 5 µs on every event's envelope.
Moment = Annotated[AwareDatetime, Field(ge=datetime(FIRST_YEAR, 1, 1, tzinfo=UTC), lt=datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC))]

# Compared by pydantic-core as well; the same years as `Moment` (`date(LAST_YEAR + 1, 1, 1)` is the first refused).
Day = Annotated[date, Field(ge=date(FIRST_YEAR, 1, 1), lt=date(LAST_YEAR + 1, 1, 1))]

MAX_FIGURE = 1e12  # the largest magnitude of a figure in an event; the HTTP APIs refuse larger ones too
Figure = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_FIGURE, le=MAX_FIGURE)]



def _in_calendar(value: date) -> date:
    if not date(FIRST_YEAR, 1, 1) <= value < date(LAST_YEAR + 1, 1, 1):
        raise ValueError(f"must be a date from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31")
    return value


def _within_bounds(value: float) -> float:
    if not -MAX_FIGURE <= value <= MAX_FIGURE:
        raise ValueError(f"must be between -{MAX_FIGURE:,.0f} and {MAX_FIGURE:,.0f}")
    return value


# The same bounds for the HTTP APIs' request bodies, which build these events: a date or figure an event would refuse
# is answered with a 422 naming the field and the whole range (pydantic's own message names only the end passed).
InputDay = Annotated[date, AfterValidator(_in_calendar)]
InputFigure = Annotated[float, Field(allow_inf_nan=False, json_schema_extra={"minimum": -MAX_FIGURE, "maximum": MAX_FIGURE}),
                        AfterValidator(_within_bounds)]

# An id in an event (aggregate ids, references, focus areas, indicators): the consumers store them in columns of 64
# characters, where a longer one failed on PostgreSQL after parsing and blocked its batch instead of being refused.
Ident = Annotated[str, Field(min_length=1, max_length=64)]

# The forums are Norwegian: a business date is a day of the Norwegian calendar. A web article published at midnight
# on 1 March in Oslo is 23:00 on 28 February in UTC, and counted in February it moved a month's figures.
FORUM_TIME = ZoneInfo("Europe/Oslo")  # the tzdata package provides it where the system has no time zone database


def local_date(moment: datetime) -> date:
    """The day a moment falls on in the forums' time zone."""
    return moment.astimezone(FORUM_TIME).date()
