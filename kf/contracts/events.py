"""Events of the events service: gatherings, attendance, workshop input and communications.

Attendance carries person ids with each attendee's organisation and sector as recorded when the
gathering was held, so relationship KPIs need no lookup and stay right after an erasure.
External speakers' names stay in the events service's database and never enter these events.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kf.contracts.catalog import DomainEvent
from kf.contracts.membership import RoleKind, Sector


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
    speaker_person_id: str | None = Field(None, description="A member speaker; external speakers are counted, not named")
    external_speaker: bool = False


class Attendee(_Part):
    person_id: str
    role: AttendeeRole
    organisation_id: str
    sector: Sector


class Audience(_Part):
    """Who a communication is for: everyone, or any of these groups, sectors, roles and focus areas."""

    everyone: bool = False
    group_ids: tuple[str, ...] = ()
    sectors: tuple[Sector, ...] = ()
    role_kinds: tuple[RoleKind, ...] = ()
    focus_areas: tuple[str, ...] = ()


class _Events(DomainEvent):
    service = "events"


class GatheringScheduled(_Events):
    aggregate = "gathering"
    event = "scheduled"
    gathering_id: str
    kind: GatheringKind
    title: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    focus_areas: tuple[str, ...] = ()
    hosting_group_id: str | None = None
    online: bool = False
    agenda: tuple[AgendaItemRef, ...] = ()


class GatheringRescheduled(_Events):
    aggregate = "gathering"
    event = "rescheduled"
    gathering_id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class GatheringCancelled(_Events):
    aggregate = "gathering"
    event = "cancelled"
    gathering_id: str
    reason: str | None = None


class GatheringHeld(_Events):
    """The gathering took place; `attendees` is the attendance list."""

    aggregate = "gathering"
    event = "held"
    gathering_id: str
    kind: GatheringKind
    held_on: date
    focus_areas: tuple[str, ...] = ()
    hosting_group_id: str | None = None
    attendees: tuple[Attendee, ...]


class WorkshopInputRecorded(_Events):
    """A workshop's input on a measure; the measures service attaches it to the measure."""

    aggregate = "workshop"
    event = "input_recorded"
    input_id: str
    gathering_id: str
    measure_id: str
    text: str = Field(max_length=5000)
    author_person_id: str | None = None
    recorded_on: date


class CommunicationPublished(_Events):
    aggregate = "communication"
    event = "published"
    communication_id: str
    channel: Channel
    title: str
    link: str | None = None
    published_at: AwareDatetime
    focus_areas: tuple[str, ...] = ()
    audience: Audience
    recipients: int | None = Field(None, ge=0)
    views: int | None = Field(None, ge=0)


class CommunicationReachReported(_Events):
    """A later, fuller count of a communication's reach; replaces earlier figures."""

    aggregate = "communication"
    event = "reach_reported"
    communication_id: str
    recipients: int | None = Field(None, ge=0)
    views: int | None = Field(None, ge=0)
    reported_at: AwareDatetime
