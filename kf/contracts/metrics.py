"""Events of the metrics service: the steering group's goals."""

from __future__ import annotations

from enum import StrEnum

from kf.contracts.catalog import DomainEvent
from kf.contracts.fields import Day, Figure, Ident


class GoalMethod(StrEnum):
    linear = "linear"
    cagr = "cagr"


class _Metrics(DomainEvent):
    service = "metrics"


class GoalSet(_Metrics):
    aggregate = "goal"
    event = "set"
    goal_id: Ident
    title: str
    kpi: str
    focus_area: str | None = None
    baseline_value: Figure
    baseline_date: Day
    target_value: Figure
    target_date: Day
    method: GoalMethod


class GoalRevised(_Metrics):
    aggregate = "goal"
    event = "revised"
    goal_id: Ident
    title: str
    kpi: str
    focus_area: str | None = None
    baseline_value: Figure
    baseline_date: Day
    target_value: Figure
    target_date: Day
    method: GoalMethod


class GoalRetired(_Metrics):
    aggregate = "goal"
    event = "retired"
    goal_id: Ident
    retired_on: Day
