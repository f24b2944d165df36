"""HTTP request and response bodies of the events API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from kf.contracts.events import AttendeeRole, Channel, GatheringKind
from kf.contracts.membership import GroupKind, RoleKind, Sector
from kf.contracts.fields import InputDay as Day
from kf.contracts.fields import Moment
from services.events.domain import GatheringState

Title = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Id = Annotated[str, Field(min_length=1, max_length=64)]
FocusAreas = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=20, description="Focus area ids of the region")]
T = TypeVar("T")


def _as_utc(value: datetime) -> datetime:
    # SQLite hands stored (UTC) datetimes back without a zone; answers always carry one.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Utc = Annotated[datetime, AfterValidator(_as_utc)]


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ExternalSpeakerIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
    organisation: str | None = Field(None, max_length=200)


class AgendaItemIn(_In):
    title: Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S")]
    speaker_person_id: Id | None = Field(None, description="A member speaker (a person id from the membership service)")
    external_speaker: ExternalSpeakerIn | None = Field(
        None, description="A speaker from outside the forum; the name stays in this service and never enters an event")


class GatheringIn(_In):
    kind: GatheringKind
    title: Title
    starts_at: Moment
    ends_at: Moment
    place: str | None = Field(None, max_length=300, description="Where it takes place; give a place, a link or both")
    link: str | None = Field(None, max_length=500, description="A meeting link for online gatherings")
    focus_areas: FocusAreas = []
    hosting_group_id: Id | None = None
    agenda: list[AgendaItemIn] = Field([], max_length=100)

    @field_validator("focus_areas")
    @classmethod
    def _once_each(cls, value: list) -> list:
        return _unique(value)


class RescheduleIn(_In):
    starts_at: Moment
    ends_at: Moment
    place: str | None = Field(None, max_length=300)
    link: str | None = Field(None, max_length=500)


class CancelIn(_In):
    reason: str | None = Field(None, max_length=1000)


class AttendeeIn(_In):
    person_id: Id
    role: AttendeeRole = AttendeeRole.participant


class HoldIn(_In):
    attendees: list[AttendeeIn] = Field(min_length=1, max_length=2000)
    held_on: Day | None = Field(None, description="Defaults to the day the gathering started")


class WorkshopInputIn(_In):
    measure_id: Id
    text: str = Field(min_length=1, max_length=5000, pattern=r"\S")
    author_person_id: Id | None = None
    recorded_on: Day | None = Field(None, description="Defaults to the day the workshop was held, else today")


class AudienceIn(_In):
    everyone: bool = False
    group_ids: list[Id] = Field([], max_length=100)
    sectors: list[Sector] = Field([], max_length=20)
    role_kinds: list[RoleKind] = Field([], max_length=10)
    focus_areas: FocusAreas = []

    @field_validator("group_ids", "sectors", "role_kinds", "focus_areas")
    @classmethod
    def _once_each(cls, value: list) -> list:
        return _unique(value)


class CommunicationIn(_In):
    channel: Channel
    title: Annotated[str, Field(min_length=1, max_length=300, pattern=r"\S")]
    link: str | None = Field(None, max_length=500)
    published_at: Moment
    focus_areas: FocusAreas = []
    audience: AudienceIn
    recipients: int | None = Field(None, ge=0, le=10_000_000)
    views: int | None = Field(None, ge=0, le=1_000_000_000)

    @field_validator("focus_areas")
    @classmethod
    def _once_each(cls, value: list) -> list:
        return _unique(value)


class ReachIn(_In):
    recipients: int | None = Field(None, ge=0, le=10_000_000)
    views: int | None = Field(None, ge=0, le=1_000_000_000)
    reported_at: Moment | None = Field(None, description="Defaults to now")


# --- responses -----------------------------------------------------------------------------------

class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ExternalSpeakerOut(_Out):
    name: str
    organisation: str | None


class AgendaItemOut(_Out):
    id: str
    position: int
    title: str
    speaker_person_id: str | None
    external_speaker: ExternalSpeakerOut | None


class AttendeeOut(_Out):
    person_id: str
    role: AttendeeRole
    organisation_id: str
    sector: Sector


class GatheringOut(_Out):
    id: str
    region: str
    kind: GatheringKind
    title: str
    starts_at: Utc
    ends_at: Utc
    place: str | None
    link: str | None
    focus_areas: list[str]
    hosting_group_id: str | None
    state: GatheringState
    cancel_reason: str | None
    held_on: date | None
    agenda: list[AgendaItemOut]
    attendees: list[AttendeeOut]


class WorkshopInputOut(_Out):
    id: str
    gathering_id: str
    measure_id: str
    text: str
    author_person_id: str | None
    recorded_on: date


class AudienceOut(BaseModel):
    everyone: bool = False
    group_ids: list[str] = []
    sectors: list[Sector] = []
    role_kinds: list[RoleKind] = []
    focus_areas: list[str] = []


class CommunicationOut(_Out):
    id: str
    region: str
    channel: Channel
    title: str
    link: str | None
    published_at: Utc
    focus_areas: list[str]
    audience: AudienceOut
    recipients: int | None
    views: int | None
    reach_reported_at: Utc | None


class FeedItemOut(BaseModel):
    type: str = Field(description="`gathering` or `communication`")
    id: str
    title: str
    at: datetime = Field(description="When the gathering starts, or when the communication was published")
    kind: str = Field(description="The gathering kind or the communication channel")
    place: str | None = None
    link: str | None = None
    matched_because: list[str] = Field(description="Why it reached this person: `everyone`, `speaker`, `group:ID`, "
                                                   "`sector:S`, `role_kind:R`, `focus_area:F`")


class FeedOut(BaseModel):
    person_id: str
    as_of: datetime
    items: list[FeedItemOut]


class KnownPersonOut(_Out):
    id: str
    organisation_id: str | None
    sector: Sector | None
    role_kind: RoleKind | None
    erased: bool
    group_ids: list[str] = []


class KnownGroupOut(_Out):
    id: str
    name: str | None
    kind: GroupKind | None
    focus_area: str | None
    active_members: int = 0


class DirectoryOut(BaseModel):
    people: int
    erased_people: int
    groups: int
    memberships: int
    active_memberships: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
