"""Membership use cases: each one checks the rules, changes state and records its events
in one transaction, or changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kf.contracts import membership as ev
from kf.runtime.errors import Conflict, Invalid, NotFound
from kf.runtime.service import ServiceRuntime
from services.membership import domain, schemas
from services.membership.store import (Group, Membership, Organisation, Person, active_membership,
                                       ended_memberships)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def _get(session: Session, model, id_: str, region: str, field: str | None = None):
    row = session.get(model, id_)
    if row is None or row.region != region:
        label = model.__tablename__.rstrip("s").replace("_", " ")
        if field:
            raise Invalid(f"no {label} with id {id_!r} in this region", field=field)
        raise NotFound(f"no {label} with id {id_!r}")
    return row


def _rule(exc: domain.RuleBroken):
    return (Conflict if exc.conflict else Invalid)(str(exc), field=exc.field)


@contextmanager
def _unique_or(conflict: Conflict) -> Iterator[None]:
    """A uniqueness pre-check cannot see a concurrent request's uncommitted row; the unique constraint then refuses
    the loser's row at the flush or the commit. The loser gets the pre-check's own 409, not a 500."""
    try:
        yield
    except IntegrityError:
        raise conflict from None


def _org_number_taken(org_number: str) -> Conflict:
    return Conflict(f"an organisation with number {org_number} is already registered", field="org_number")


def _email_taken(email: str) -> Conflict:
    return Conflict(f"a person with e-mail {email} is already registered", field="email")


def _group_name_taken(name: str) -> Conflict:
    return Conflict(f"a group named {name!r} already exists", field="name")


class MembershipUseCases:
    """The membership use cases, bound to a running service."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.rt = runtime
        self.region = runtime.settings.region

    # organisations ------------------------------------------------------------------------
    def register_organisation(self, data: schemas.OrganisationIn) -> Organisation:
        taken = _org_number_taken(data.org_number)
        with _unique_or(taken), self.rt.unit_of_work() as s:
            if s.execute(select(Organisation.id).where(Organisation.region == self.region,
                                                       Organisation.org_number == data.org_number)).first():
                raise taken
            org = Organisation(id=_new_id(), region=self.region, name=data.name, org_number=data.org_number,
                               sector=data.sector.value, municipality=data.municipality, created_at=_now())
            s.add(org)
            self.rt.record(s, ev.OrganisationRegistered(organisation_id=org.id, name=org.name, org_number=org.org_number,
                                                        sector=data.sector, municipality=org.municipality), org.id)
        return org

    def update_organisation(self, org_id: str, patch: schemas.OrganisationPatch) -> Organisation:
        with self.rt.unit_of_work() as s:
            org = _get(s, Organisation, org_id, self.region)
            changes = patch.model_dump(exclude_unset=True)
            for key, value in changes.items():
                if key in ("name", "sector") and value is None:
                    raise Invalid(f"{key} cannot be empty", field=key)
                setattr(org, key, value.value if hasattr(value, "value") else value)
            if changes:
                s.flush()
                self.rt.record(s, ev.OrganisationUpdated(organisation_id=org.id, name=org.name, sector=org.sector,
                                                         municipality=org.municipality), org.id)
                if "sector" in changes:
                    for person in s.execute(select(Person).where(Person.organisation_id == org.id,
                                                                 Person.erased_at.is_(None))).scalars():
                        self._person_updated(s, person, org)
        return org

    # people -------------------------------------------------------------------------------
    def register_person(self, data: schemas.PersonIn) -> Person:
        with _unique_or(_email_taken(data.email)), self.rt.unit_of_work() as s:
            org = _get(s, Organisation, data.organisation_id, self.region, field="organisation_id")
            self._check_email_free(s, data.email)
            person = Person(id=_new_id(), region=self.region, organisation_id=org.id, name=data.name,
                            email=data.email.lower(), role_kind=data.role_kind.value, title=data.title, created_at=_now())
            s.add(person)
            self.rt.record(s, ev.PersonRegistered(person_id=person.id, organisation_id=org.id, sector=org.sector,
                                                  role_kind=data.role_kind), person.id)
        return person

    def update_person(self, person_id: str, patch: schemas.PersonPatch) -> Person:
        with _unique_or(_email_taken(patch.email)) if patch.email else nullcontext(), self.rt.unit_of_work() as s:
            person = self._live_person(s, person_id)
            changes = patch.model_dump(exclude_unset=True)
            for key in ("name", "email", "organisation_id", "role_kind"):
                if key in changes and changes[key] is None:
                    raise Invalid(f"{key} cannot be empty", field=key)
            if "organisation_id" in changes:
                _get(s, Organisation, changes["organisation_id"], self.region, field="organisation_id")
            if "email" in changes:
                if changes["email"].lower() != person.email:
                    self._check_email_free(s, changes["email"])
                # Lower-cased even when only the case changed: the uniqueness check compares lower-cased addresses,
                # so one stored as typed would let someone else register its lower-cased twin.
                changes["email"] = changes["email"].lower()
            relevant = {"organisation_id", "role_kind"} & changes.keys()
            for key, value in changes.items():
                setattr(person, key, value.value if hasattr(value, "value") else value)
            if relevant:
                s.flush()
                self._person_updated(s, person, s.get(Organisation, person.organisation_id))
        return person

    def erase_person(self, person_id: str) -> None:
        """GDPR erasure: blank the personal data, end active memberships, keep the pseudonymous id."""
        with self.rt.unit_of_work() as s:
            person = self._live_person(s, person_id)
            today = date.today()
            for m in s.execute(select(Membership).where(Membership.person_id == person.id,
                                                        Membership.left_on.is_(None))).scalars():
                m.left_on = max(today, m.joined_on)
                self.rt.record(s, ev.MemberLeft(membership_id=m.id, group_id=m.group_id, person_id=person.id,
                                                left_on=m.left_on), m.id)
            person.name = person.email = person.title = None
            person.erased_at = _now()
            self.rt.record(s, ev.PersonErased(person_id=person.id), person.id)

    def _person_updated(self, s: Session, person: Person, org: Organisation) -> None:
        self.rt.record(s, ev.PersonUpdated(person_id=person.id, organisation_id=org.id, sector=org.sector,
                                           role_kind=person.role_kind), person.id)

    def _live_person(self, s: Session, person_id: str, field: str | None = None) -> Person:
        person = _get(s, Person, person_id, self.region, field)
        if person.erased_at is not None:
            if field:
                raise Invalid(f"person {person_id!r} has been erased", field=field)
            raise NotFound(f"person {person_id!r} has been erased")
        return person

    def _check_email_free(self, s: Session, email: str) -> None:
        if s.execute(select(Person.id).where(Person.region == self.region, Person.email == email.lower())).first():
            raise _email_taken(email)

    # groups -------------------------------------------------------------------------------
    def form_group(self, data: schemas.GroupIn) -> Group:
        try:
            domain.check_group_focus_area(data.kind, data.focus_area, self.rt.region.focus_area_ids())
        except domain.RuleBroken as exc:
            raise _rule(exc) from None
        taken = _group_name_taken(data.name)
        with _unique_or(taken), self.rt.unit_of_work() as s:
            if s.execute(select(Group.id).where(Group.region == self.region, Group.name == data.name)).first():
                raise taken
            group = Group(id=_new_id(), region=self.region, name=data.name, kind=data.kind.value,
                          focus_area=data.focus_area, created_at=_now())
            s.add(group)
            self.rt.record(s, ev.GroupFormed(group_id=group.id, name=group.name, kind=data.kind,
                                             focus_area=group.focus_area), group.id)
        return group

    def update_group(self, group_id: str, patch: schemas.GroupPatch) -> Group:
        with _unique_or(_group_name_taken(patch.name)) if patch.name else nullcontext(), self.rt.unit_of_work() as s:
            group = _get(s, Group, group_id, self.region)
            changes = patch.model_dump(exclude_unset=True)
            if "name" in changes and changes["name"] is None:
                raise Invalid("name cannot be empty", field="name")
            if "focus_area" in changes:
                try:
                    domain.check_group_focus_area(group.kind, changes["focus_area"], self.rt.region.focus_area_ids())
                except domain.RuleBroken as exc:
                    raise _rule(exc) from None
            if "name" in changes and changes["name"] != group.name and s.execute(
                    select(Group.id).where(Group.region == self.region, Group.name == changes["name"])).first():
                raise _group_name_taken(changes["name"])
            for key, value in changes.items():
                setattr(group, key, value)
            if changes:
                self.rt.record(s, ev.GroupUpdated(group_id=group.id, name=group.name, kind=group.kind,
                                                  focus_area=group.focus_area), group.id)
        return group

    # memberships --------------------------------------------------------------------------
    def join(self, data: schemas.MembershipIn) -> Membership:
        today = date.today()
        joined_on = data.joined_on or today
        try:
            with self.rt.unit_of_work() as s:
                group = _get(s, Group, data.group_id, self.region, field="group_id")
                person = _get(s, Person, data.person_id, self.region, field="person_id")
                try:
                    domain.check_can_join(active_membership(s, group.id, person.id) is not None,
                                          person.erased_at is not None, joined_on, today,
                                          ended_memberships(s, group.id, person.id))
                except domain.RuleBroken as exc:
                    raise _rule(exc) from None
                org = s.get(Organisation, person.organisation_id)
                m = Membership(id=_new_id(), region=self.region, group_id=group.id, person_id=person.id,
                               role=data.role.value, joined_on=joined_on, created_at=_now())
                s.add(m)
                s.flush()
                self.rt.record(s, ev.MemberJoined(membership_id=m.id, group_id=group.id, person_id=person.id,
                                                  organisation_id=org.id, sector=org.sector, role_kind=person.role_kind,
                                                  role=data.role, joined_on=joined_on), m.id)
        except IntegrityError:  # a concurrent join of the same person won the race
            raise Conflict("the person is already an active member of this group", field="person_id") from None
        return m

    def change_role(self, membership_id: str, patch: schemas.MembershipPatch) -> Membership:
        with self.rt.unit_of_work() as s:
            m = _get(s, Membership, membership_id, self.region)
            if m.left_on is not None:
                raise Conflict(f"the membership ended on {m.left_on.isoformat()}", field="membership_id")
            if m.role != patch.role.value:
                m.role = patch.role.value
                self.rt.record(s, ev.MemberRoleChanged(membership_id=m.id, group_id=m.group_id, person_id=m.person_id,
                                                       role=patch.role), m.id)
        return m

    def leave(self, membership_id: str, data: schemas.LeaveIn) -> Membership:
        today = date.today()
        left_on = data.left_on or today
        with self.rt.unit_of_work() as s:
            m = _get(s, Membership, membership_id, self.region)
            try:
                domain.check_can_leave(m.left_on, m.joined_on, left_on, today)
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            m.left_on = left_on
            self.rt.record(s, ev.MemberLeft(membership_id=m.id, group_id=m.group_id, person_id=m.person_id,
                                            left_on=left_on), m.id)
        return m

    def confirm_mandate(self, membership_id: str, data: schemas.MandateIn) -> Membership:
        today = date.today()
        confirmed_on = data.confirmed_on or today
        with self.rt.unit_of_work() as s:
            m = _get(s, Membership, membership_id, self.region)
            try:
                domain.check_can_confirm_mandate(m.left_on, m.mandate_confirmed_on, confirmed_on, today)
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            person = s.get(Person, m.person_id)
            m.mandate_confirmed_on = confirmed_on
            self.rt.record(s, ev.MandateConfirmed(membership_id=m.id, person_id=m.person_id,
                                                  organisation_id=person.organisation_id, confirmed_on=confirmed_on), m.id)
        return m
