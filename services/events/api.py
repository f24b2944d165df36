"""HTTP API of the events service: thin handlers over the use cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from kf.contracts.events import Channel, GatheringKind
from kf.contracts.fields import Moment
from kf.runtime.paging import Limit, Offset
from kf.runtime.endpoints import Reader, Writer, one_in_region, page_body, read_transaction, served_region
from services.events import schemas
from services.events.domain import GatheringState
from services.events.store import (Communication, Gathering, KnownGroup, KnownMembership, KnownPerson, WorkshopInput,
                                   count, utc)
from services.events.usecases import EventsUseCases

router = APIRouter()


async def _uc(request: Request) -> EventsUseCases:
    return request.app.state.usecases


UseCases = Annotated[EventsUseCases, Depends(_uc)]


@router.get("/focus-areas", tags=["region"], summary="The region's focus areas (region data)")
def focus_areas(request: Request, _: Reader) -> list[dict]:
    return [f.model_dump() for f in request.app.state.runtime.region.focus_areas]


# gatherings ----------------------------------------------------------------------------------
@router.post("/gatherings", status_code=201, response_model=schemas.GatheringOut, tags=["gatherings"],
             summary="Schedule a gathering (felles-samling, workshop, webinar, bedriftsbesøk, group meeting)")
def schedule(body: schemas.GatheringIn, uc: UseCases, _: Writer):
    return uc.schedule(body)


@router.get("/gatherings", response_model=schemas.Page[schemas.GatheringOut], tags=["gatherings"])
def list_gatherings(request: Request, _: Reader, kind: GatheringKind | None = None, state: GatheringState | None = None,
                    hosting_group_id: str | None = None, starts_from: Moment | None = None,
                    starts_before: Moment | None = None, limit: Limit = 50, offset: Offset = 0):
    query = select(Gathering).where(Gathering.region == served_region(request)).order_by(Gathering.starts_at, Gathering.id)
    if kind:
        query = query.where(Gathering.kind == kind.value)
    if state:
        query = query.where(Gathering.state == state.value)
    if hosting_group_id:
        query = query.where(Gathering.hosting_group_id == hosting_group_id)
    if starts_from:
        query = query.where(Gathering.starts_at >= utc(starts_from))
    if starts_before:
        query = query.where(Gathering.starts_at < utc(starts_before))
    return page_body(request, query, schemas.GatheringOut, limit, offset)


@router.get("/gatherings/{gathering_id}", response_model=schemas.GatheringOut, tags=["gatherings"])
def get_gathering(gathering_id: str, request: Request, _: Reader):
    return one_in_region(request, Gathering, gathering_id, "gathering")


@router.post("/gatherings/{gathering_id}/reschedule", response_model=schemas.GatheringOut, tags=["gatherings"],
             summary="Move a scheduled gathering")
def reschedule(gathering_id: str, body: schemas.RescheduleIn, uc: UseCases, _: Writer):
    return uc.reschedule(gathering_id, body)


@router.post("/gatherings/{gathering_id}/cancel", response_model=schemas.GatheringOut, tags=["gatherings"])
def cancel(gathering_id: str, uc: UseCases, _: Writer, body: schemas.CancelIn | None = None):
    return uc.cancel(gathering_id, body or schemas.CancelIn())


@router.post("/gatherings/{gathering_id}/held", response_model=schemas.GatheringOut, tags=["gatherings"],
             summary="Record that the gathering took place, with its attendance list")
def hold(gathering_id: str, body: schemas.HoldIn, uc: UseCases, _: Writer):
    return uc.hold(gathering_id, body)


@router.delete("/gatherings/{gathering_id}/agenda/{item_id}", status_code=204, tags=["gatherings"],
               summary="Delete an agenda item, and with it an external speaker's name and organisation")
def remove_agenda_item(gathering_id: str, item_id: str, uc: UseCases, _: Writer) -> Response:
    uc.remove_agenda_item(gathering_id, item_id)
    return Response(status_code=204)


@router.post("/gatherings/{gathering_id}/inputs", status_code=201, response_model=schemas.WorkshopInputOut,
             tags=["gatherings"], summary="Record a workshop's input on a measure")
def record_input(gathering_id: str, body: schemas.WorkshopInputIn, uc: UseCases, _: Writer):
    return uc.record_input(gathering_id, body)


@router.get("/gatherings/{gathering_id}/inputs", response_model=schemas.Page[schemas.WorkshopInputOut],
            tags=["gatherings"])
def list_inputs(gathering_id: str, request: Request, _: Reader, limit: Limit = 50, offset: Offset = 0):
    one_in_region(request, Gathering, gathering_id, "gathering")
    query = select(WorkshopInput).where(WorkshopInput.gathering_id == gathering_id).order_by(
        WorkshopInput.recorded_on, WorkshopInput.id)
    return page_body(request, query, schemas.WorkshopInputOut, limit, offset)


# communications ------------------------------------------------------------------------------
@router.post("/communications", status_code=201, response_model=schemas.CommunicationOut, tags=["communications"],
             summary="Record a newsletter, article or post and who it was for")
def publish(body: schemas.CommunicationIn, uc: UseCases, _: Writer):
    return uc.publish(body)


@router.get("/communications", response_model=schemas.Page[schemas.CommunicationOut], tags=["communications"])
def list_communications(request: Request, _: Reader, channel: Channel | None = None, limit: Limit = 50,
                        offset: Offset = 0):
    query = select(Communication).where(Communication.region == served_region(request)).order_by(
        Communication.published_at.desc(), Communication.id)
    if channel:
        query = query.where(Communication.channel == channel.value)
    return page_body(request, query, schemas.CommunicationOut, limit, offset)


@router.get("/communications/{communication_id}", response_model=schemas.CommunicationOut, tags=["communications"])
def get_communication(communication_id: str, request: Request, _: Reader):
    return one_in_region(request, Communication, communication_id, "communication")


@router.post("/communications/{communication_id}/reach", response_model=schemas.CommunicationOut,
             tags=["communications"], summary="Report a fuller count of recipients and views")
def report_reach(communication_id: str, body: schemas.ReachIn, uc: UseCases, _: Writer):
    return uc.report_reach(communication_id, body)


# the targeted feed ---------------------------------------------------------------------------
@router.get("/people/{person_id}/feed", response_model=schemas.FeedOut, tags=["feed"],
            summary="Upcoming gatherings and recent communications for this person, newest first, with why")
def feed(person_id: str, uc: UseCases, _: Reader,
         as_of: Annotated[Moment | None, Query(description="The moment to look from; defaults to now")] = None,
         days: Annotated[int, Query(ge=1, le=3660, description="How far back communications count as recent")] = 90):
    return uc.feed(person_id, as_of, days)


# the read model of people and groups ---------------------------------------------------------
@router.get("/directory", response_model=schemas.DirectoryOut, tags=["directory"],
            summary="How much of the membership service's data this service has received")
def directory(request: Request, _: Reader):
    region = served_region(request)
    with read_transaction(request) as s:
        return schemas.DirectoryOut(
            people=count(s, KnownPerson, KnownPerson.region == region, KnownPerson.organisation_id.is_not(None)),
            erased_people=count(s, KnownPerson, KnownPerson.region == region, KnownPerson.erased.is_(True)),
            groups=count(s, KnownGroup, KnownGroup.region == region, KnownGroup.kind.is_not(None)),
            memberships=count(s, KnownMembership, KnownMembership.region == region),
            active_memberships=count(s, KnownMembership, KnownMembership.region == region,
                                     KnownMembership.left_on.is_(None)))


@router.get("/directory/people/{person_id}", response_model=schemas.KnownPersonOut, tags=["directory"])
def known_person(person_id: str, request: Request, _: Reader):
    person = one_in_region(request, KnownPerson, person_id, "known person")
    with read_transaction(request) as s:
        groups = list(s.execute(select(KnownMembership.group_id).where(
            KnownMembership.person_id == person_id, KnownMembership.left_on.is_(None)).order_by(
            KnownMembership.group_id)).scalars())
    return schemas.KnownPersonOut.model_validate(person).model_copy(update={"group_ids": groups})


@router.get("/directory/groups/{group_id}", response_model=schemas.KnownGroupOut, tags=["directory"])
def known_group(group_id: str, request: Request, _: Reader):
    group = one_in_region(request, KnownGroup, group_id, "known group")
    with read_transaction(request) as s:
        members = count(s, KnownMembership, KnownMembership.group_id == group_id, KnownMembership.left_on.is_(None))
    return schemas.KnownGroupOut.model_validate(group).model_copy(update={"active_members": members})
