"""HTTP API of the membership service: thin handlers over the use cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from kf.contracts.membership import GroupKind, RoleKind, Sector
from kf.runtime.paging import Limit, Offset
from kf.runtime.endpoints import Reader, Writer, one_in_region, page_body
from services.membership import schemas
from services.membership.store import Group, Membership, Organisation, Person
from services.membership.usecases import MembershipUseCases

router = APIRouter()


async def _uc(request: Request) -> MembershipUseCases:
    return request.app.state.usecases


UseCases = Annotated[MembershipUseCases, Depends(_uc)]


@router.get("/focus-areas", tags=["region"], summary="The region's focus areas (region data)")
def focus_areas(request: Request, _: Reader) -> list[dict]:
    return [f.model_dump() for f in request.app.state.runtime.region.focus_areas]


def _literal_in_like(text: str) -> str:
    """A name search looks for the text as typed: `%`, `_` and the escape character itself match only themselves,
    not any run of characters (`q=_` would otherwise list every organisation)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# organisations -------------------------------------------------------------------------------
@router.post("/organisations", status_code=201, response_model=schemas.OrganisationOut, tags=["organisations"])
def register_organisation(body: schemas.OrganisationIn, uc: UseCases, _: Writer):
    return uc.register_organisation(body)


@router.get("/organisations", response_model=schemas.Page[schemas.OrganisationOut], tags=["organisations"])
def list_organisations(request: Request, _: Reader, sector: Sector | None = None,
                       q: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
                       limit: Limit = 50, offset: Offset = 0):
    region = request.app.state.runtime.settings.region
    query = select(Organisation).where(Organisation.region == region).order_by(Organisation.name, Organisation.id)
    if sector:
        query = query.where(Organisation.sector == sector.value)
    if q:
        query = query.where(Organisation.name.ilike(f"%{_literal_in_like(q)}%", escape="\\"))
    return page_body(request, query, schemas.OrganisationOut, limit, offset)


@router.get("/organisations/{organisation_id}", response_model=schemas.OrganisationOut, tags=["organisations"])
def get_organisation(organisation_id: str, request: Request, _: Reader):
    return one_in_region(request, Organisation, organisation_id, "organisation")


@router.patch("/organisations/{organisation_id}", response_model=schemas.OrganisationOut, tags=["organisations"])
def update_organisation(organisation_id: str, body: schemas.OrganisationPatch, uc: UseCases, _: Writer):
    return uc.update_organisation(organisation_id, body)


# people --------------------------------------------------------------------------------------
@router.post("/people", status_code=201, response_model=schemas.PersonOut, tags=["people"])
def register_person(body: schemas.PersonIn, uc: UseCases, _: Writer):
    return uc.register_person(body)


@router.get("/people", response_model=schemas.Page[schemas.PersonOut], tags=["people"])
def list_people(request: Request, _: Reader, organisation_id: str | None = None, role_kind: RoleKind | None = None,
                group_id: str | None = None, limit: Limit = 50, offset: Offset = 0):
    region = request.app.state.runtime.settings.region
    query = select(Person).where(Person.region == region, Person.erased_at.is_(None)).order_by(Person.name, Person.id)
    if organisation_id:
        query = query.where(Person.organisation_id == organisation_id)
    if role_kind:
        query = query.where(Person.role_kind == role_kind.value)
    if group_id:
        query = query.where(Person.id.in_(select(Membership.person_id).where(
            Membership.group_id == group_id, Membership.left_on.is_(None))))
    return page_body(request, query, schemas.PersonOut, limit, offset)


@router.get("/people/{person_id}", response_model=schemas.PersonOut, tags=["people"])
def get_person(person_id: str, request: Request, _: Reader):
    return one_in_region(request, Person, person_id, "person")


@router.patch("/people/{person_id}", response_model=schemas.PersonOut, tags=["people"])
def update_person(person_id: str, body: schemas.PersonPatch, uc: UseCases, _: Writer):
    return uc.update_person(person_id, body)


@router.delete("/people/{person_id}", status_code=204, tags=["people"],
               summary="Erase a person's personal data (GDPR); memberships end, history keeps the id only")
def erase_person(person_id: str, uc: UseCases, _: Writer) -> Response:
    uc.erase_person(person_id)
    return Response(status_code=204)


# groups --------------------------------------------------------------------------------------
@router.post("/groups", status_code=201, response_model=schemas.GroupOut, tags=["groups"])
def form_group(body: schemas.GroupIn, uc: UseCases, _: Writer):
    return uc.form_group(body)


@router.get("/groups", response_model=schemas.Page[schemas.GroupOut], tags=["groups"])
def list_groups(request: Request, _: Reader, kind: GroupKind | None = None, focus_area: str | None = None,
                limit: Limit = 50, offset: Offset = 0):
    region = request.app.state.runtime.settings.region
    query = select(Group).where(Group.region == region).order_by(Group.name, Group.id)
    if kind:
        query = query.where(Group.kind == kind.value)
    if focus_area:
        query = query.where(Group.focus_area == focus_area)
    return page_body(request, query, schemas.GroupOut, limit, offset)


@router.get("/groups/{group_id}", response_model=schemas.GroupOut, tags=["groups"])
def get_group(group_id: str, request: Request, _: Reader):
    return one_in_region(request, Group, group_id, "group")


@router.patch("/groups/{group_id}", response_model=schemas.GroupOut, tags=["groups"])
def update_group(group_id: str, body: schemas.GroupPatch, uc: UseCases, _: Writer):
    return uc.update_group(group_id, body)


# memberships ---------------------------------------------------------------------------------
@router.post("/memberships", status_code=201, response_model=schemas.MembershipOut, tags=["memberships"],
             summary="A person joins a group")
def join(body: schemas.MembershipIn, uc: UseCases, _: Writer):
    return uc.join(body)


@router.get("/memberships", response_model=schemas.Page[schemas.MembershipOut], tags=["memberships"])
def list_memberships(request: Request, _: Reader, group_id: str | None = None, person_id: str | None = None,
                     active: bool | None = None, limit: Limit = 50, offset: Offset = 0):
    region = request.app.state.runtime.settings.region
    query = select(Membership).where(Membership.region == region).order_by(Membership.joined_on, Membership.id)
    if group_id:
        query = query.where(Membership.group_id == group_id)
    if person_id:
        query = query.where(Membership.person_id == person_id)
    if active is not None:
        query = query.where(Membership.left_on.is_(None) if active else Membership.left_on.is_not(None))
    return page_body(request, query, schemas.MembershipOut, limit, offset)


@router.get("/memberships/{membership_id}", response_model=schemas.MembershipOut, tags=["memberships"])
def get_membership(membership_id: str, request: Request, _: Reader):
    return one_in_region(request, Membership, membership_id, "membership")


@router.patch("/memberships/{membership_id}", response_model=schemas.MembershipOut, tags=["memberships"],
              summary="Change a member's role in the group")
def change_role(membership_id: str, body: schemas.MembershipPatch, uc: UseCases, _: Writer):
    return uc.change_role(membership_id, body)


@router.post("/memberships/{membership_id}/leave", response_model=schemas.MembershipOut, tags=["memberships"])
def leave(membership_id: str, uc: UseCases, _: Writer, body: schemas.LeaveIn | None = None):
    return uc.leave(membership_id, body or schemas.LeaveIn())


@router.post("/memberships/{membership_id}/mandate", response_model=schemas.MembershipOut, tags=["memberships"],
             summary="Confirm the member's mandate from their own organisation (forankring)")
def confirm_mandate(membership_id: str, uc: UseCases, _: Writer, body: schemas.MandateIn | None = None):
    return uc.confirm_mandate(membership_id, body or schemas.MandateIn())
