"""HTTP API of the metrics service: thin handlers over the use cases. Reading needs a viewer token;
setting, revising and retiring goals needs an admin token (the steering group's secretariat)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from kf.contracts.fields import InputDay as Day
from kf.runtime.auth import Principal, admin, viewer
from services.metrics import schemas
from services.metrics.kpis import catalogue
from services.metrics.usecases import MetricsUseCases

router = APIRouter()
Reader = Annotated[Principal, Depends(viewer)]
Writer = Annotated[Principal, Depends(admin)]
RegionQ = Annotated[str | None, Query(max_length=64, description="The region; defaults to the token's region")]
FocusQ = Annotated[str | None, Query(max_length=64, description="A focus area id of the region")]
# Dates in the years the events take (1900-2999), as everywhere: a far date answered like any other, at a cost.
AsOfQ = Annotated[Day | None, Query(description="The as-of date (YYYY-MM-DD, 1900-2999); default today")]


async def _uc(request: Request) -> MetricsUseCases:
    return request.app.state.usecases


UseCases = Annotated[MetricsUseCases, Depends(_uc)]


@router.get("/kpis", response_model=list[schemas.KpiValue], tags=["kpis"],
            summary="Every KPI's value as of a date, for the region or one focus area")
def list_kpis(uc: UseCases, who: Reader, region: RegionQ = None, focus_area: FocusQ = None, as_of: AsOfQ = None,
              kpi: Annotated[list[str] | None, Query(description="Only these KPI ids (repeatable); default all")] = None):
    return uc.kpis(region or who.region, focus_area, as_of, kpi)


@router.get("/kpis/catalogue", response_model=list[schemas.KpiDefinition], tags=["kpis"],
            summary="The KPI definitions: name, unit, description and formula")
def kpi_catalogue(uc: UseCases, who: Reader, region: RegionQ = None):
    return [{**{k: getattr(kpi, k) for k in ("id", "name", "unit", "description", "formula", "per_focus_area", "group")}}
            for kpi in catalogue(uc.region(region or who.region))]


@router.get("/kpis/{kpi_id}/series", response_model=schemas.Series, tags=["kpis"],
            summary="A KPI's values at the end of each month, quarter or year between two dates")
def kpi_series(kpi_id: str, uc: UseCases, who: Reader,
               start: Annotated[Day, Query(alias="from", description="First date (YYYY-MM-DD, 1900-2999)")],
               end: Annotated[Day | None, Query(alias="to", description="Last date; default today")] = None,
               interval: Literal["month", "quarter", "year"] = "month", region: RegionQ = None, focus_area: FocusQ = None):
    return uc.series(region or who.region, kpi_id, focus_area, start, end or date.today(), interval)


@router.post("/goals", status_code=201, response_model=schemas.GoalOut, tags=["goals"],
             summary="Set a goal on a KPI (publishes goal.set)")
def set_goal(body: schemas.GoalIn, uc: UseCases, who: Writer, region: RegionQ = None):
    return uc.set_goal(region or who.region, body)


@router.get("/goals", response_model=list[schemas.GoalOut], tags=["goals"],
            summary="The region's goals, each with its status and the numbers behind it")
def list_goals(uc: UseCases, who: Reader, region: RegionQ = None, include_retired: bool = False, as_of: AsOfQ = None):
    return uc.goals(region or who.region, include_retired, as_of)


@router.get("/goals/{goal_id}", response_model=schemas.GoalOut, tags=["goals"])
def get_goal(goal_id: str, uc: UseCases, who: Reader, region: RegionQ = None, as_of: AsOfQ = None):
    return uc.goal(region or who.region, goal_id, as_of)


@router.put("/goals/{goal_id}", response_model=schemas.GoalOut, tags=["goals"],
            summary="Revise a goal (publishes goal.revised)")
def revise_goal(goal_id: str, body: schemas.GoalIn, uc: UseCases, who: Writer, region: RegionQ = None):
    return uc.revise_goal(region or who.region, goal_id, body)


@router.delete("/goals/{goal_id}", status_code=204, tags=["goals"], summary="Retire a goal (publishes goal.retired)")
def retire_goal(goal_id: str, uc: UseCases, who: Writer, region: RegionQ = None) -> Response:
    uc.retire_goal(region or who.region, goal_id)
    return Response(status_code=204)


@router.get("/network", tags=["network"],
            summary="Organisations, their ties (weight, origin) and centrality: who bridges sectors, which lack decision-makers")
def network(uc: UseCases, who: Reader, region: RegionQ = None, as_of: AsOfQ = None) -> dict:
    return uc.network(region or who.region, as_of)
