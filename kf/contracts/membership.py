"""Events of the membership service: organisations, people, groups, memberships, mandates.

Personal data (names, e-mail addresses) never enters these events: they carry ids, sectors
and roles only, so a person can be erased from the membership database while every KPI
computed from the event log stays correct.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from kf.contracts.catalog import DomainEvent
from kf.contracts.fields import Day


class Sector(StrEnum):
    county = "county"
    municipality = "municipality"
    state_agency = "state_agency"
    university_college = "university_college"
    vocational_college = "vocational_college"
    employer_organisation = "employer_organisation"
    union = "union"
    business = "business"
    voluntary = "voluntary"
    other = "other"


class RoleKind(StrEnum):
    """A person's role in their own organisation."""

    leader = "leader"  # leader or decision-maker
    elected_representative = "elected_representative"
    employee = "employee"
    expert = "expert"


class GroupKind(StrEnum):
    steering = "steering"
    coordination = "coordination"
    competence = "competence"


class GroupRole(StrEnum):
    """A member's role inside a group."""

    leader = "leader"
    member = "member"
    secretary = "secretary"


class _Membership(DomainEvent):
    service = "membership"


Id = Field(min_length=1, max_length=64)


class OrganisationRegistered(_Membership):
    aggregate = "organisation"
    event = "registered"
    organisation_id: str = Id
    name: str = Field(description="The organisation's name (organisations are not personal data).")
    org_number: str = Field(description="Norwegian organisation number, 9 digits.")
    sector: Sector
    municipality: str | None = None


class OrganisationUpdated(_Membership):
    aggregate = "organisation"
    event = "updated"
    organisation_id: str = Id
    name: str
    sector: Sector
    municipality: str | None = None


class PersonRegistered(_Membership):
    aggregate = "person"
    event = "registered"
    person_id: str = Id
    organisation_id: str = Id
    sector: Sector
    role_kind: RoleKind


class PersonUpdated(_Membership):
    aggregate = "person"
    event = "updated"
    person_id: str = Id
    organisation_id: str = Id
    sector: Sector
    role_kind: RoleKind


class PersonErased(_Membership):
    """The person's personal data was erased; the pseudonymous id stays valid in history."""

    aggregate = "person"
    event = "erased"
    person_id: str = Id


class GroupFormed(_Membership):
    aggregate = "group"
    event = "formed"
    group_id: str = Id
    name: str
    kind: GroupKind
    focus_area: str | None = None


class GroupUpdated(_Membership):
    aggregate = "group"
    event = "updated"
    group_id: str = Id
    name: str
    kind: GroupKind
    focus_area: str | None = None


class MemberJoined(_Membership):
    aggregate = "member"
    event = "joined"
    membership_id: str = Id
    group_id: str = Id
    person_id: str = Id
    organisation_id: str = Id
    sector: Sector
    role_kind: RoleKind
    role: GroupRole
    joined_on: Day


class MemberRoleChanged(_Membership):
    aggregate = "member"
    event = "role_changed"
    membership_id: str = Id
    group_id: str = Id
    person_id: str = Id
    role: GroupRole


class MemberLeft(_Membership):
    aggregate = "member"
    event = "left"
    membership_id: str = Id
    group_id: str = Id
    person_id: str = Id
    left_on: Day


class MandateConfirmed(_Membership):
    """The member's own organisation gave them a mandate (forankring) for the forum's work."""

    aggregate = "mandate"
    event = "confirmed"
    membership_id: str = Id
    person_id: str = Id
    organisation_id: str = Id
    confirmed_on: Day
