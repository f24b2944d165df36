"""HTTP request and response bodies of the measures API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kf.contracts.fields import InputDay as Day
from kf.contracts.fields import InputFigure as Figure
from kf.contracts.measures import MeasureState

# A figure (a baseline, a target, a reported value) and a business date have the bounds of the measure events
# (kf/contracts/fields.py): sums of figures near the float's limit overflowed a region's effect KPI.
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Text = Annotated[str, Field(min_length=1, max_length=5000, pattern=r"\S")]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"\S")]
Who = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
T = TypeVar("T")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MeasureIn(_In):
    title: Title
    description: str | None = Field(None, max_length=5000)
    focus_area: str = Field(max_length=64, description="A focus area id of the region (GET /focus-areas)")
    proposing_group_id: Id | None = Field(None, description="The competence group that proposes the measure")
    contact_person_id: Id | None = None
    partner_organisation_ids: list[Id] = Field(default_factory=list, max_length=50)
    proposed_on: Day | None = Field(None, description="Defaults to today")


class InputIn(_In):
    text: Text
    gathering_id: Id | None = Field(None, description="The workshop the input came from, if any")
    author_person_id: Id | None = None
    recorded_on: Day | None = Field(None, description="Defaults to today")


class ReviseIn(_In):
    title: Title | None = None
    description: str | None = Field(None, max_length=5000)
    partner_organisation_ids: list[Id] | None = Field(None, max_length=50)
    revised_on: Day | None = Field(None, description="Defaults to today")


class DecisionIn(_In):
    decided_by: Who = Field(description="The deciding body or role, e.g. 'Styringsgruppen'")
    decided_on: Day | None = Field(None, description="Defaults to today")
    rationale: Text


class OwnershipIn(_In):
    organisation_id: Id = Field(description="The organisation that takes responsibility for the measure")
    mandate_holder_person_id: Id | None = Field(None, description="The person holding the mandate from the organisation's line (required)")
    accepted_on: Day | None = Field(None, description="Defaults to today")


class StartIn(_In):
    started_on: Day | None = Field(None, description="Defaults to today")


class CompleteIn(_In):
    completed_on: Day | None = Field(None, description="Defaults to today")
    summary: str | None = Field(None, max_length=5000)


class StopIn(_In):
    stopped_on: Day | None = Field(None, description="Defaults to today")
    reason: Text


class ExpectedEffectIn(_In):
    indicator: str = Field(max_length=64, description="An indicator id of the region (see docs/measures.md)")
    unit: str | None = Field(None, max_length=40, description="Defaults to the indicator's unit; must match it")
    baseline: Figure
    baseline_date: Day
    target: Figure
    target_date: Day


class EffectReportIn(_In):
    indicator: str = Field(max_length=64)
    value: Figure
    period_start: Day
    period_end: Day
    source: Who = Field(description="Where the figure comes from, e.g. 'Udir lærlingstatistikk', 'NAV', 'SSB'")
    reported_by_person_id: Id
    supersedes_report_id: Id | None = Field(None, description="The earlier report this one corrects")


class FollowIn(_In):
    person_id: Id


class MeasureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    region: str
    title: str
    description: str | None
    focus_area: str
    proposing_group_id: str | None
    contact_person_id: str | None
    partner_organisation_ids: list[str]
    state: MeasureState
    allowed_next_states: list[MeasureState]
    proposed_on: date
    state_since: date
    decided_on: date | None
    decided_by: str | None
    decision_rationale: str | None
    owner_organisation_id: str | None
    mandate_holder_person_id: str | None
    ownership_accepted_on: date | None
    started_on: date | None
    completed_on: date | None
    summary: str | None
    stopped_on: date | None
    stop_reason: str | None


class InputOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    measure_id: str
    gathering_id: str | None
    text: str
    author_person_id: str | None
    recorded_on: date
    origin: str


class ExpectedEffectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    measure_id: str
    indicator: str
    unit: str
    baseline: float
    baseline_date: date
    target: float
    target_date: date


class EffectReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    measure_id: str
    indicator: str
    value: float
    period_start: date
    period_end: date
    source: str
    reported_by_person_id: str
    supersedes_report_id: str | None
    superseded: bool = False


class FollowerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    measure_id: str
    person_id: str
    since: datetime


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    person_id: str
    measure_id: str
    kind: str
    event_id: str
    message: str
    created_at: datetime


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    event_id: str
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
