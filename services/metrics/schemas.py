"""HTTP request and response bodies of the metrics API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kf.contracts.fields import InputDay as Day
from kf.contracts.fields import InputFigure as Figure
from kf.contracts.metrics import GoalMethod

# A goal's values and dates have the bounds of the goal events (kf/contracts/fields.py). Its target differs from its
# baseline by at least MIN_GOAL_SPAN: progress and R divide by that difference, and a target 5e-324 from the baseline
# gave ±infinity, shown as no progress at all (null).
MIN_GOAL_SPAN = 1e-6
_MIN_SPAN_TEXT = f"{MIN_GOAL_SPAN:f}".rstrip("0")  # 0.000001


class KpiValue(BaseModel):
    id: str
    name: str
    focus_area: str | None
    value: float | None = Field(description="None when the KPI has no value (e.g. a share of zero members)")
    unit: str
    as_of: date


class KpiDefinition(BaseModel):
    id: str
    name: str
    unit: str
    description: str
    formula: str
    per_focus_area: bool
    group: str


class SeriesPoint(BaseModel):
    date: date
    value: float | None


class Series(BaseModel):
    id: str
    name: str
    unit: str
    focus_area: str | None
    interval: str
    points: list[SeriesPoint]


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200)
    kpi: str = Field(min_length=1, max_length=100, description="A KPI id from GET /kpis/catalogue")
    focus_area: str | None = Field(None, max_length=64)
    baseline_value: Figure
    baseline_date: Day
    target_value: Figure = Field(description=f"Differs from baseline_value by at least {_MIN_SPAN_TEXT}")
    target_date: Day
    method: GoalMethod = GoalMethod.linear

    @field_validator("target_value")
    @classmethod
    def _measurable_change(cls, value: float, info: ValidationInfo) -> float:
        # An equal target is refused by the goal rules (a goal needs a direction); a change too small to measure here.
        baseline = info.data.get("baseline_value")
        if baseline is not None and 0 < abs(value - baseline) < MIN_GOAL_SPAN:
            raise ValueError(f"must differ from baseline_value by at least {_MIN_SPAN_TEXT}: progress towards a "
                             "smaller change cannot be measured")
        return value


class Evaluation(BaseModel):
    status: str = Field(description="achieved, on_track, acceleration_needed, limited_progress, deterioration or insufficient_data")
    method: str
    direction: str
    as_of: date
    current_value: float | None
    progress: float | None = Field(description="(current − baseline) / (target − baseline)")
    expected_progress: float = Field(description="elapsed time / time from baseline to target date, 0–1")
    forecast: float | None = Field(description="the KPI's forecast value at the target date")
    ratio: float | None = Field(description="R: the figure the status thresholds apply to")
    observations: list[dict]
    slope_per_year: float | None
    intercept: float | None
    years_elapsed: float | None
    years_total: float | None
    cagr_observed: float | None
    cagr_required: float | None
    explanation: str


class GoalOut(BaseModel):
    goal_id: str
    region: str
    title: str
    kpi: str
    focus_area: str | None
    baseline_value: float
    baseline_date: date
    target_value: float
    target_date: date
    method: GoalMethod
    retired: bool
    retired_on: date | None
    created_at: datetime
    updated_at: datetime
    evaluation: Evaluation
