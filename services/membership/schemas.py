"""HTTP request and response bodies of the membership API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from kf.contracts.fields import InputDay as Day
from kf.contracts.membership import GroupKind, GroupRole, RoleKind, Sector
from services.membership.domain import normalise_org_number

Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Id = Annotated[str, Field(min_length=1, max_length=64)]
T = TypeVar("T")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationIn(_In):
    name: Name
    org_number: str = Field(max_length=20, description="9 digits with a valid MOD11 check digit; spaces allowed")
    sector: Sector
    municipality: str | None = Field(None, max_length=100)

    @field_validator("org_number")
    @classmethod
    def _valid_number(cls, value: str) -> str:
        return normalise_org_number(value)


class OrganisationPatch(_In):
    name: Name | None = None
    sector: Sector | None = None
    municipality: str | None = Field(None, max_length=100)


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    region: str
    name: str
    org_number: str
    sector: Sector
    municipality: str | None


class PersonIn(_In):
    name: Name
    email: EmailStr
    organisation_id: Id
    role_kind: RoleKind
    title: str | None = Field(None, max_length=200)


class PersonPatch(_In):
    name: Name | None = None
    email: EmailStr | None = None
    organisation_id: Id | None = None
    role_kind: RoleKind | None = None
    title: str | None = Field(None, max_length=200)


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    region: str
    organisation_id: str
    name: str | None
    email: str | None
    role_kind: RoleKind
    title: str | None
    erased_at: datetime | None


class GroupIn(_In):
    name: Name
    kind: GroupKind
    focus_area: str | None = Field(None, max_length=64, description="A focus area id of the region (competence groups only)")


class GroupPatch(_In):
    name: Name | None = None
    focus_area: str | None = Field(None, max_length=64)


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    region: str
    name: str
    kind: GroupKind
    focus_area: str | None


class MembershipIn(_In):
    person_id: Id
    group_id: Id
    role: GroupRole = GroupRole.member
    joined_on: Day | None = Field(None, description="Defaults to today")


class MembershipPatch(_In):
    role: GroupRole


class LeaveIn(_In):
    left_on: Day | None = Field(None, description="Defaults to today")


class MandateIn(_In):
    confirmed_on: Day | None = Field(None, description="Defaults to today")


class MembershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    region: str
    group_id: str
    person_id: str
    role: GroupRole
    joined_on: date
    left_on: date | None
    mandate_confirmed_on: date | None


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
