"""Events of the metrics service: the steering group's goals."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from kf.contracts.catalog import DomainEvent
from kf.contracts.fields import Ident


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
    baseline_value: float
    baseline_date: date
    target_value: float
    target_date: date
    method: GoalMethod


class GoalRevised(_Metrics):
    aggregate = "goal"
    event = "revised"
    goal_id: Ident
    title: str
    kpi: str
    focus_area: str | None = None
    baseline_value: float
    baseline_date: date
    target_value: float
    target_date: date
    method: GoalMethod


class GoalRetired(_Metrics):
    aggregate = "goal"
    event = "retired"
    goal_id: Ident
    retired_on: date
