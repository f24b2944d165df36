"""The events service's storage on SQLite and PostgreSQL: migrations match the models, and the
read model of people and groups converges whatever order membership events arrive in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from kf.contracts import membership as mev
from kf.contracts.envelope import wrap
from kf.runtime.alembic_tools import differences
from kf.runtime.db import Database
from kf.testing.fixtures import migrate
from services.events.handlers import directory_handlers
from services.events.store import KnownGroup, KnownMembership, KnownPerson, metadata

T0 = datetime(2021, 1, 4, 9, 0, tzinfo=UTC)


def _apply(db: Database, event, minutes: int) -> None:
    """Apply one event as the consumer does: in a transaction, with the handler for its type."""
    envelope = wrap(event, region="ostfold", subject=None, time=T0 + timedelta(minutes=minutes))
    with db.transaction() as session:
        directory_handlers()[type(event)](session, envelope, event)


def _person(db: Database, person_id: str) -> KnownPerson | None:
    with db.transaction() as session:
        return session.get(KnownPerson, person_id)


def test_migrations_create_exactly_the_models(database_url):
    migrate("events", database_url)
    assert differences(metadata, database_url, "events") == []


def test_read_model_converges_when_events_arrive_out_of_order(database_url):
    migrate("events", database_url)
    db = Database(database_url)
    try:
        joined = mev.MemberJoined(membership_id="m1", group_id="g1", person_id="p1", organisation_id="org-a",
                                  sector="municipality", role_kind="employee", role="member", joined_on=date(2021, 1, 4))
        registered = mev.PersonRegistered(person_id="p1", organisation_id="org-a", sector="municipality",
                                          role_kind="employee")
        updated = mev.PersonUpdated(person_id="p1", organisation_id="org-b", sector="business", role_kind="leader")
        # member.joined (minute 2) overtakes person.registered (minute 1); the update (minute 3) overtakes both.
        _apply(db, updated, 3)
        _apply(db, joined, 2)
        _apply(db, registered, 1)
        person = _person(db, "p1")
        assert (person.organisation_id, person.sector, person.role_kind) == ("org-b", "business", "leader")
        with db.transaction() as s:
            membership = s.get(KnownMembership, "m1")
            assert (membership.group_id, membership.left_on) == ("g1", None)
            # The group exists before group.formed arrives; its facts fill in when it does.
            assert s.get(KnownGroup, "g1").kind is None
        _apply(db, mev.GroupFormed(group_id="g1", name="Kompetansegruppe inkludering", kind="competence",
                                   focus_area="inclusion"), 0)
        _apply(db, mev.GroupUpdated(group_id="g1", name="Old name", kind="competence", focus_area=None), -5)
        with db.transaction() as s:
            group = s.get(KnownGroup, "g1")
            assert (group.name, group.focus_area) == ("Kompetansegruppe inkludering", "inclusion")

        # member.left before its member.joined: the membership stays ended.
        _apply(db, mev.MemberLeft(membership_id="m2", group_id="g1", person_id="p1", left_on=date(2021, 6, 1)), 10)
        _apply(db, joined.model_copy(update={"membership_id": "m2"}), 9)
        with db.transaction() as s:
            assert s.get(KnownMembership, "m2").left_on == date(2021, 6, 1)

        # An erasure is final, even if an older update arrives after it.
        _apply(db, mev.PersonErased(person_id="p1"), 20)
        _apply(db, updated, 19)
        assert _person(db, "p1").erased is True

        # An organisation's new sector reaches its people; applying it again changes nothing more.
        _apply(db, mev.PersonRegistered(person_id="p2", organisation_id="org-c", sector="other", role_kind="expert"), 30)
        org = mev.OrganisationUpdated(organisation_id="org-c", name="Fagskolen i Viken", sector="vocational_college")
        _apply(db, org, 31)
        _apply(db, org, 31)
        assert _person(db, "p2").sector == "vocational_college"
    finally:
        db.dispose()
