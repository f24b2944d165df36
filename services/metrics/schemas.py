"""HTTP request and response bodies of the metrics API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from kf.contracts.metrics import GoalMethod


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
    baseline_value: float = Field(allow_inf_nan=False)
    baseline_date: date
    target_value: float = Field(allow_inf_nan=False)
    target_date: date
    method: GoalMethod = GoalMethod.linear


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
