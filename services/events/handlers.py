"""Consumers of membership events: the local read model of people, groups and memberships.

Every handler is an upsert keyed by the aggregate id. A fact carries the time of the event that
set it (`as_of`); an older event that arrives late does not overwrite a newer fact, and an event
that arrives before the one it follows (a member joining before the person is registered) fills
in what it knows. Erasure is final whatever arrives afterwards. The kit's consumer records the
event ids it applied, so a redelivered event is not applied twice at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kf.contracts import membership as mev
from kf.contracts.envelope import CloudEvent
from kf.runtime.consumer import Handler
from services.events.store import KnownGroup, KnownMembership, KnownPerson, utc


def _newer(current: datetime | None, incoming: datetime) -> bool:
    return current is None or utc(incoming) >= utc(current)


def _person(session: Session, person_id: str, region: str) -> KnownPerson:
    person = session.get(KnownPerson, person_id)
    if person is None:
        person = KnownPerson(id=person_id, region=region, erased=False, as_of=None)
        session.add(person)
    return person


def _set_person_facts(session: Session, env: CloudEvent, person_id: str, organisation_id: str, sector: str,
                      role_kind: str) -> None:
    person = _person(session, person_id, env.region)
    if _newer(person.as_of, env.time):
        person.organisation_id, person.sector, person.role_kind = organisation_id, sector, role_kind
        person.as_of = utc(env.time)
    session.flush()


def on_person(session: Session, env: CloudEvent, event: mev.PersonRegistered | mev.PersonUpdated) -> None:
    _set_person_facts(session, env, event.person_id, event.organisation_id, event.sector.value, event.role_kind.value)


def on_person_erased(session: Session, env: CloudEvent, event: mev.PersonErased) -> None:
    person = _person(session, event.person_id, env.region)
    person.erased = True
    session.flush()


def on_organisation_updated(session: Session, env: CloudEvent, event: mev.OrganisationUpdated) -> None:
    """A sector change reaches every person of the organisation whose facts are older than it."""
    for person in session.execute(select(KnownPerson).where(KnownPerson.organisation_id == event.organisation_id)).scalars():
        if _newer(person.as_of, env.time):
            person.sector = event.sector.value
            person.as_of = utc(env.time)
    session.flush()


def on_group(session: Session, env: CloudEvent, event: mev.GroupFormed | mev.GroupUpdated) -> None:
    group = session.get(KnownGroup, event.group_id)
    if group is None:
        group = KnownGroup(id=event.group_id, region=env.region)
        session.add(group)
    if _newer(group.as_of, env.time):
        group.name, group.kind, group.focus_area = event.name, event.kind.value, event.focus_area
        group.as_of = utc(env.time)
    session.flush()


def _membership(session: Session, env: CloudEvent, membership_id: str, group_id: str, person_id: str) -> KnownMembership:
    membership = session.get(KnownMembership, membership_id)
    if membership is None:
        membership = KnownMembership(id=membership_id, region=env.region, group_id=group_id, person_id=person_id)
        session.add(membership)
    if session.get(KnownGroup, group_id) is None:  # the group's own event is still on its way
        session.add(KnownGroup(id=group_id, region=env.region))
    return membership


def on_member_joined(session: Session, env: CloudEvent, event: mev.MemberJoined) -> None:
    membership = _membership(session, env, event.membership_id, event.group_id, event.person_id)
    membership.joined_on = event.joined_on
    # The join carries the person's facts as of the join, so it may even arrive before person.registered.
    _set_person_facts(session, env, event.person_id, event.organisation_id, event.sector.value, event.role_kind.value)


def on_member_left(session: Session, env: CloudEvent, event: mev.MemberLeft) -> None:
    membership = _membership(session, env, event.membership_id, event.group_id, event.person_id)
    membership.left_on = event.left_on
    session.flush()


def directory_handlers() -> dict[type, Handler]:
    return {
        mev.PersonRegistered: on_person,
        mev.PersonUpdated: on_person,
        mev.PersonErased: on_person_erased,
        mev.OrganisationUpdated: on_organisation_updated,
        mev.GroupFormed: on_group,
        mev.GroupUpdated: on_group,
        mev.MemberJoined: on_member_joined,
        mev.MemberLeft: on_member_left,
    }

