"""Events of the measures service: a measure (tiltak) from proposal to reported effect."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from kf.contracts.catalog import DomainEvent
from kf.contracts.fields import Day, Figure, Ident


class MeasureState(StrEnum):
    proposed = "proposed"
    in_review = "in_review"
    revised = "revised"
    adopted = "adopted"
    rejected = "rejected"
    anchored = "anchored"  # ownership accepted by a responsible organisation
    in_progress = "in_progress"
    completed = "completed"
    stopped = "stopped"


class _Measures(DomainEvent):
    service = "measures"


class MeasureProposed(_Measures):
    aggregate = "measure"
    event = "proposed"
    measure_id: Ident
    title: str
    focus_area: str
    proposing_group_id: Ident | None = None
    contact_person_id: Ident | None = None
    partner_organisation_ids: tuple[Ident, ...] = ()
    proposed_on: Day


class MeasureInputReceived(_Measures):
    aggregate = "measure"
    event = "input_received"
    measure_id: Ident
    input_id: Ident
    gathering_id: Ident | None = None
    received_on: Day


class MeasureRevised(_Measures):
    aggregate = "measure"
    event = "revised"
    measure_id: Ident
    title: str
    focus_area: str
    partner_organisation_ids: tuple[Ident, ...] = ()
    revised_on: Day


class MeasureAdopted(_Measures):
    aggregate = "measure"
    event = "adopted"
    measure_id: Ident
    focus_area: str
    decided_on: Day
    decided_by: str = Field(description="The deciding body or role, e.g. 'Styringsgruppen'")
    rationale: str


class MeasureRejected(_Measures):
    aggregate = "measure"
    event = "rejected"
    measure_id: Ident
    focus_area: str
    decided_on: Day
    decided_by: str
    rationale: str


class MeasureOwnershipAccepted(_Measures):
    """A responsible organisation took the measure on, with a named mandate holder (forankring)."""

    aggregate = "measure"
    event = "ownership_accepted"
    measure_id: Ident
    focus_area: str
    organisation_id: Ident
    mandate_holder_person_id: Ident
    accepted_on: Day


class MeasureStarted(_Measures):
    aggregate = "measure"
    event = "started"
    measure_id: Ident
    focus_area: str
    started_on: Day


class MeasureEffectExpected(_Measures):
    aggregate = "measure"
    event = "effect_expected"
    measure_id: Ident
    expectation_id: Ident
    focus_area: str
    indicator: str
    unit: str
    baseline: Figure
    baseline_date: Day
    target: Figure
    target_date: Day


class MeasureEffectReported(_Measures):
    """An observed value of an indicator for a period; a correction names the report it supersedes."""

    aggregate = "measure"
    event = "effect_reported"
    measure_id: Ident
    report_id: Ident
    focus_area: str
    indicator: str
    value: Figure
    period_start: Day
    period_end: Day
    source: str
    reported_by_person_id: Ident
    supersedes_report_id: Ident | None = None


class MeasureCompleted(_Measures):
    aggregate = "measure"
    event = "completed"
    measure_id: Ident
    focus_area: str
    completed_on: Day
    summary: str | None = None


class MeasureStopped(_Measures):
    aggregate = "measure"
    event = "stopped"
    measure_id: Ident
    focus_area: str
    stopped_on: Day
    reason: str
