"""HTTP API of the measures service: thin handlers over the use cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from kf.contracts.measures import MeasureState
from kf.runtime.errors import Invalid, NotFound
from kf.runtime.paging import Limit, Offset
from kf.runtime.endpoints import Reader, Writer, page_body, read_transaction, served_region
from services.measures import schemas
from services.measures.store import (EffectReport, ExpectedEffect, Follower, HistoryEntry, Measure, MeasureInput,
                                     Notification, superseded_ids)
from services.measures.usecases import MeasureUseCases

router = APIRouter()


async def _uc(request: Request) -> MeasureUseCases:
    return request.app.state.usecases


UseCases = Annotated[MeasureUseCases, Depends(_uc)]


def _measure(s, request: Request, measure_id: str) -> Measure:
    m = s.get(Measure, measure_id)
    if m is None or m.region != served_region(request):
        raise NotFound(f"no measure with id {measure_id!r}")
    return m


@router.get("/focus-areas", tags=["region"], summary="The region's focus areas (region data)")
def focus_areas(request: Request, _: Reader) -> list[dict]:
    return [f.model_dump() for f in request.app.state.runtime.region.focus_areas]


@router.get("/indicators", tags=["region"], summary="The region's indicators for expected and reported effects")
def indicators(request: Request, _: Reader) -> list[dict]:
    return [i.model_dump() for i in request.app.state.runtime.region.indicators]


# measures ------------------------------------------------------------------------------------
@router.post("/measures", status_code=201, response_model=schemas.MeasureOut, tags=["measures"],
             summary="Propose a measure (tiltak)")
def propose(body: schemas.MeasureIn, uc: UseCases, _: Writer):
    return uc.propose(body)


@router.get("/measures", response_model=schemas.Page[schemas.MeasureOut], tags=["measures"])
def list_measures(request: Request, _: Reader, focus_area: Annotated[str | None, Query(max_length=64)] = None,
                  state: MeasureState | None = None, limit: Limit = 50, offset: Offset = 0):
    runtime = request.app.state.runtime
    query = select(Measure).where(Measure.region == served_region(request)).order_by(Measure.proposed_on, Measure.id)
    if focus_area:
        known = runtime.region.focus_area_ids()
        if focus_area not in known:
            raise Invalid(f"unknown focus area {focus_area!r}; this region has {sorted(known)}", field="focus_area")
        query = query.where(Measure.focus_area == focus_area)
    if state:
        query = query.where(Measure.state == state.value)
    return page_body(request, query, schemas.MeasureOut, limit, offset)


@router.get("/measures/{measure_id}", response_model=schemas.MeasureOut, tags=["measures"])
def get_measure(measure_id: str, request: Request, _: Reader):
    with read_transaction(request) as s:
        return schemas.MeasureOut.model_validate(_measure(s, request, measure_id))


@router.get("/measures/{measure_id}/history", response_model=list[schemas.HistoryOut], tags=["measures"],
            summary="Every event of the measure, oldest first")
def history(measure_id: str, request: Request, _: Reader):
    with read_transaction(request) as s:
        _measure(s, request, measure_id)
        rows = s.execute(select(HistoryEntry).where(HistoryEntry.measure_id == measure_id)
                         .order_by(HistoryEntry.seq)).scalars()
        return [schemas.HistoryOut.model_validate(r) for r in rows]


# lifecycle -----------------------------------------------------------------------------------
@router.post("/measures/{measure_id}/inputs", status_code=201, response_model=schemas.InputOut, tags=["lifecycle"],
             summary="Record input on a measure (workshop input normally arrives from the events service)")
def record_input(measure_id: str, body: schemas.InputIn, uc: UseCases, _: Writer):
    return uc.record_input(measure_id, body)


@router.get("/measures/{measure_id}/inputs", response_model=list[schemas.InputOut], tags=["lifecycle"])
def list_inputs(measure_id: str, request: Request, _: Reader):
    with read_transaction(request) as s:
        _measure(s, request, measure_id)
        rows = s.execute(select(MeasureInput).where(MeasureInput.measure_id == measure_id)
                         .order_by(MeasureInput.recorded_on, MeasureInput.created_at)).scalars()
        return [schemas.InputOut.model_validate(r) for r in rows]


@router.post("/measures/{measure_id}/revise", response_model=schemas.MeasureOut, tags=["lifecycle"],
             summary="Refine the proposal after workshop input")
def revise(measure_id: str, uc: UseCases, _: Writer, body: schemas.ReviseIn | None = None):
    return uc.revise(measure_id, body or schemas.ReviseIn())


@router.post("/measures/{measure_id}/adopt", response_model=schemas.MeasureOut, tags=["lifecycle"])
def adopt(measure_id: str, body: schemas.DecisionIn, uc: UseCases, _: Writer):
    return uc.decide(measure_id, body, adopt=True)


@router.post("/measures/{measure_id}/reject", response_model=schemas.MeasureOut, tags=["lifecycle"])
def reject(measure_id: str, body: schemas.DecisionIn, uc: UseCases, _: Writer):
    return uc.decide(measure_id, body, adopt=False)


@router.post("/measures/{measure_id}/ownership", response_model=schemas.MeasureOut, tags=["lifecycle"],
             summary="An organisation takes responsibility, with a named mandate holder (forankring)")
def accept_ownership(measure_id: str, body: schemas.OwnershipIn, uc: UseCases, _: Writer):
    return uc.accept_ownership(measure_id, body)


@router.post("/measures/{measure_id}/start", response_model=schemas.MeasureOut, tags=["lifecycle"])
def start(measure_id: str, uc: UseCases, _: Writer, body: schemas.StartIn | None = None):
    return uc.start(measure_id, body or schemas.StartIn())


@router.post("/measures/{measure_id}/complete", response_model=schemas.MeasureOut, tags=["lifecycle"])
def complete(measure_id: str, uc: UseCases, _: Writer, body: schemas.CompleteIn | None = None):
    return uc.complete(measure_id, body or schemas.CompleteIn())


@router.post("/measures/{measure_id}/stop", response_model=schemas.MeasureOut, tags=["lifecycle"],
             summary="Stop a measure before it is completed (a reason is required)")
def stop(measure_id: str, body: schemas.StopIn, uc: UseCases, _: Writer):
    return uc.stop(measure_id, body)


# effects -------------------------------------------------------------------------------------
@router.post("/measures/{measure_id}/expected-effects", status_code=201, response_model=schemas.ExpectedEffectOut,
             tags=["effects"])
def expect_effect(measure_id: str, body: schemas.ExpectedEffectIn, uc: UseCases, _: Writer):
    return uc.expect_effect(measure_id, body)


@router.get("/measures/{measure_id}/expected-effects", response_model=list[schemas.ExpectedEffectOut], tags=["effects"])
def list_expected_effects(measure_id: str, request: Request, _: Reader):
    with read_transaction(request) as s:
        _measure(s, request, measure_id)
        rows = s.execute(select(ExpectedEffect).where(ExpectedEffect.measure_id == measure_id)
                         .order_by(ExpectedEffect.indicator)).scalars()
        return [schemas.ExpectedEffectOut.model_validate(r) for r in rows]


@router.post("/measures/{measure_id}/effect-reports", status_code=201, response_model=schemas.EffectReportOut,
             tags=["effects"], summary="Report an observed value; set supersedes_report_id to correct an earlier report")
def report_effect(measure_id: str, body: schemas.EffectReportIn, uc: UseCases, _: Writer):
    return uc.report_effect(measure_id, body)


@router.get("/measures/{measure_id}/effect-reports", response_model=list[schemas.EffectReportOut], tags=["effects"],
            summary="Effect reports in period order; superseded ones only with include_superseded")
def list_effect_reports(measure_id: str, request: Request, _: Reader, indicator: str | None = None,
                        include_superseded: bool = False):
    with read_transaction(request) as s:
        _measure(s, request, measure_id)
        query = select(EffectReport).where(EffectReport.measure_id == measure_id).order_by(
            EffectReport.indicator, EffectReport.period_start, EffectReport.created_at)
        if indicator:
            query = query.where(EffectReport.indicator == indicator)
        replaced = superseded_ids(s, measure_id)
        out = []
        for r in s.execute(query).scalars():
            if r.id in replaced and not include_superseded:
                continue
            out.append(schemas.EffectReportOut.model_validate(r).model_copy(update={"superseded": r.id in replaced}))
        return out


# followers -----------------------------------------------------------------------------------
@router.post("/measures/{measure_id}/followers", status_code=201, response_model=schemas.FollowerOut,
             tags=["followers"], summary="Follow a measure (200 when the person already follows it)")
def follow(measure_id: str, body: schemas.FollowIn, uc: UseCases, _: Writer, response: Response):
    follower, created = uc.follow(measure_id, body)
    if not created:
        response.status_code = 200
    return follower


@router.delete("/measures/{measure_id}/followers/{person_id}", status_code=204, tags=["followers"])
def unfollow(measure_id: str, person_id: str, uc: UseCases, _: Writer) -> Response:
    uc.unfollow(measure_id, person_id)
    return Response(status_code=204)


@router.get("/measures/{measure_id}/followers", response_model=schemas.Page[schemas.FollowerOut], tags=["followers"])
def list_followers(measure_id: str, request: Request, _: Reader, limit: Limit = 50, offset: Offset = 0):
    with read_transaction(request) as s:
        _measure(s, request, measure_id)
    query = select(Follower).where(Follower.measure_id == measure_id).order_by(Follower.since, Follower.person_id)
    return page_body(request, query, schemas.FollowerOut, limit, offset)


@router.get("/people/{person_id}/notifications", response_model=schemas.Page[schemas.NotificationOut],
            tags=["followers"], summary="A person's notifications about the measures they follow, newest first")
def notifications(person_id: str, request: Request, _: Reader, limit: Limit = 50, offset: Offset = 0):
    query = select(Notification).where(Notification.region == served_region(request), Notification.person_id == person_id
                                       ).order_by(Notification.seq.desc())
    return page_body(request, query, schemas.NotificationOut, limit, offset)
