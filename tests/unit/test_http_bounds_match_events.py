"""The APIs take exactly the figures and dates their own events take: a value the API accepted
and its event then refused answered 500 (or, before the events were bounded, overflowed a KPI)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from kf.contracts import events as gathering_events
from kf.contracts import measures as measure_events
from kf.contracts import membership as membership_events
from kf.contracts import metrics as goal_events
from services.events import schemas as events_api
from services.measures import schemas as measures_api
from services.membership import schemas as membership_api
from services.metrics import schemas as metrics_api

FIGURES = [-1.5e308, -(10 ** 13), -1e12 - 1, -1e12, -5e-324, 0, 0.5, 1e12, 1e12 + 1, 10 ** 13, 1.5e308]
DATES = [date(1, 1, 1), date(1899, 12, 31), date(1900, 1, 1), date(2024, 2, 29), date(2999, 12, 31), date(3000, 1, 1),
         date(9999, 12, 31)]

# (API body, its field) -> (event, its field)
FIGURE_PAIRS = [
    ((measures_api.ExpectedEffectIn, "baseline"), (measure_events.MeasureEffectExpected, "baseline")),
    ((measures_api.ExpectedEffectIn, "target"), (measure_events.MeasureEffectExpected, "target")),
    ((measures_api.EffectReportIn, "value"), (measure_events.MeasureEffectReported, "value")),
    ((metrics_api.GoalIn, "baseline_value"), (goal_events.GoalSet, "baseline_value")),
    ((metrics_api.GoalIn, "target_value"), (goal_events.GoalRevised, "target_value")),
]
DATE_PAIRS = [
    ((measures_api.MeasureIn, "proposed_on"), (measure_events.MeasureProposed, "proposed_on")),
    ((measures_api.InputIn, "recorded_on"), (measure_events.MeasureInputReceived, "received_on")),
    ((measures_api.ReviseIn, "revised_on"), (measure_events.MeasureRevised, "revised_on")),
    ((measures_api.DecisionIn, "decided_on"), (measure_events.MeasureAdopted, "decided_on")),
    ((measures_api.DecisionIn, "decided_on"), (measure_events.MeasureRejected, "decided_on")),
    ((measures_api.OwnershipIn, "accepted_on"), (measure_events.MeasureOwnershipAccepted, "accepted_on")),
    ((measures_api.StartIn, "started_on"), (measure_events.MeasureStarted, "started_on")),
    ((measures_api.CompleteIn, "completed_on"), (measure_events.MeasureCompleted, "completed_on")),
    ((measures_api.StopIn, "stopped_on"), (measure_events.MeasureStopped, "stopped_on")),
    ((measures_api.ExpectedEffectIn, "baseline_date"), (measure_events.MeasureEffectExpected, "baseline_date")),
    ((measures_api.ExpectedEffectIn, "target_date"), (measure_events.MeasureEffectExpected, "target_date")),
    ((measures_api.EffectReportIn, "period_start"), (measure_events.MeasureEffectReported, "period_start")),
    ((measures_api.EffectReportIn, "period_end"), (measure_events.MeasureEffectReported, "period_end")),
    ((metrics_api.GoalIn, "baseline_date"), (goal_events.GoalSet, "baseline_date")),
    ((metrics_api.GoalIn, "target_date"), (goal_events.GoalRevised, "target_date")),
    ((membership_api.MembershipIn, "joined_on"), (membership_events.MemberJoined, "joined_on")),
    ((membership_api.LeaveIn, "left_on"), (membership_events.MemberLeft, "left_on")),
    ((membership_api.MandateIn, "confirmed_on"), (membership_events.MandateConfirmed, "confirmed_on")),
    ((events_api.HoldIn, "held_on"), (gathering_events.GatheringHeld, "held_on")),
    ((events_api.WorkshopInputIn, "recorded_on"), (gathering_events.WorkshopInputRecorded, "recorded_on")),
]


def _accepts(model: type[BaseModel], name: str, value: object) -> bool:
    field = model.model_fields[name]
    # The field alone, as the model validates it (an optional field holds its bounds in its annotation).
    adapter = TypeAdapter(Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation)
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("api", "event", "values"), [
    pytest.param(api, event, values, id=f"{api[0].__name__}.{api[1]}-{event[0].__name__}")
    for pairs, values in ((FIGURE_PAIRS, FIGURES), (DATE_PAIRS, DATES)) for api, event in pairs])
def test_an_api_field_takes_what_its_event_takes(api, event, values):
    verdicts = [(value, _accepts(*api, value), _accepts(*event, value)) for value in values]
    assert [v for v in verdicts if v[1] != v[2]] == []
    assert any(accepted for _, accepted, _ in verdicts) and not all(accepted for _, accepted, _ in verdicts)
