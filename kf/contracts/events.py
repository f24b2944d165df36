"""Events of the events service: gatherings, attendance, workshop input and communications.

Attendance carries person ids with each attendee's organisation and sector as recorded when the
gathering was held, so relationship KPIs need no lookup and stay right after an erasure.
External speakers' names stay in the events service's database and never enter these events.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kf.contracts.catalog import DomainEvent
from kf.contracts.membership import RoleKind, Sector
from kf.contracts.fields import Day, Ident, Moment

MAX_COUNT = 2**31 - 1  # consumers store counts in 32-bit integer columns


class GatheringKind(StrEnum):
    common_gathering = "common_gathering"  # felles-samling
    workshop = "workshop"
    webinar = "webinar"
    company_visit = "company_visit"  # bedriftsbesøk
    group_meeting = "group_meeting"


class AttendeeRole(StrEnum):
    participant = "participant"
    speaker = "speaker"
    host = "host"
    facilitator = "facilitator"


class Channel(StrEnum):
    newsletter = "newsletter"
    web_article = "web_article"
    media_article = "media_article"
    facebook_post = "facebook_post"
    teams_post = "teams_post"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgendaItemRef(_Part):
    title: str
    speaker_person_id: Ident | None = Field(None, description="A member speaker; external speakers are counted, not named")
    external_speaker: bool = False


class Attendee(_Part):
    person_id: Ident
    role: AttendeeRole
    organisation_id: Ident
    sector: Sector


class Audience(_Part):
    """Who a communication is for: everyone, or any of these groups, sectors, roles and focus areas."""

    everyone: bool = False
    group_ids: tuple[Ident, ...] = ()
    sectors: tuple[Sector, ...] = ()
    role_kinds: tuple[RoleKind, ...] = ()
    focus_areas: tuple[str, ...] = ()


class _Events(DomainEvent):
    service = "events"


class GatheringScheduled(_Events):
    aggregate = "gathering"
    event = "scheduled"
    gathering_id: Ident
    kind: GatheringKind
    title: str
    starts_at: Moment
    ends_at: Moment
    focus_areas: tuple[str, ...] = ()
    hosting_group_id: Ident | None = None
    online: bool = False
    agenda: tuple[AgendaItemRef, ...] = ()


class GatheringRescheduled(_Events):
    aggregate = "gathering"
    event = "rescheduled"
    gathering_id: Ident
    starts_at: Moment
    ends_at: Moment


class GatheringDetailsChanged(_Events):
    """The gathering's public details after a change that is not a reschedule or a cancellation: an agenda item was
    deleted, or a reschedule changed its place or link (and so whether it is online). External speakers are counted,
    not named, as in `gathering.scheduled`."""

    aggregate = "gathering"
    event = "details_changed"
    gathering_id: Ident
    online: bool
    agenda: tuple[AgendaItemRef, ...] = ()


class GatheringCancelled(_Events):
    aggregate = "gathering"
    event = "cancelled"
    gathering_id: Ident
    reason: str | None = None


class GatheringHeld(_Events):
    """The gathering took place; `attendees` is the attendance list."""

    aggregate = "gathering"
    event = "held"
    gathering_id: Ident
    kind: GatheringKind
    held_on: Day
    focus_areas: tuple[str, ...] = ()
    hosting_group_id: Ident | None = None
    attendees: tuple[Attendee, ...]


class WorkshopInputRecorded(_Events):
    """A workshop's input on a measure; the measures service attaches it to the measure."""

    aggregate = "workshop"
    event = "input_recorded"
    input_id: Ident
    gathering_id: Ident
    measure_id: Ident
    text: str = Field(max_length=5000)
    author_person_id: Ident | None = None
    recorded_on: Day


class CommunicationPublished(_Events):
    aggregate = "communication"
    event = "published"
    communication_id: Ident
    channel: Channel
    title: str
    link: str | None = None
    published_at: Moment
    focus_areas: tuple[str, ...] = ()
    audience: Audience
    recipients: int | None = Field(None, ge=0, le=MAX_COUNT)
    views: int | None = Field(None, ge=0, le=MAX_COUNT)


class CommunicationReachReported(_Events):
    """A later, fuller count of a communication's reach; replaces earlier figures."""

    aggregate = "communication"
    event = "reach_reported"
    communication_id: Ident
    recipients: int | None = Field(None, ge=0, le=MAX_COUNT)
    views: int | None = Field(None, ge=0, le=MAX_COUNT)
    reported_at: Moment
