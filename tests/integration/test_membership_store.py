"""The membership migrations build exactly the tables the models describe, on SQLite and PostgreSQL,
and the database itself refuses a second active membership of the same person in a group."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from kf.runtime.alembic_tools import differences
from kf.runtime.db import Database
from kf.testing.fixtures import migrate
from services.membership.store import Group, Membership, Organisation, Person, metadata


def test_migrations_match_the_models(database_url):
    migrate("membership", database_url)
    assert differences(metadata, database_url, "membership") == []


def test_the_database_refuses_two_active_memberships_of_one_person_in_a_group(database_url):
    migrate("membership", database_url)
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.transaction() as s:
        s.add(Organisation(id="o", region="ostfold", name="NAV", org_number="974760673", sector="state_agency", created_at=now))
        s.add(Group(id="g", region="ostfold", name="Styringsgruppen", kind="steering", created_at=now))
        s.flush()
        s.add(Person(id="p", region="ostfold", organisation_id="o", name="Kari", email="k@example.no",
                     role_kind="leader", created_at=now))
        s.flush()
        s.add(Membership(id="m1", region="ostfold", group_id="g", person_id="p", role="member",
                         joined_on=date(2020, 1, 1), left_on=date(2020, 6, 1), created_at=now))
        s.add(Membership(id="m2", region="ostfold", group_id="g", person_id="p", role="member",
                         joined_on=date(2020, 7, 1), created_at=now))
    with pytest.raises(IntegrityError):
        with db.transaction() as s:
            s.add(Membership(id=str(uuid.uuid4()), region="ostfold", group_id="g", person_id="p", role="leader",
                             joined_on=date(2021, 1, 1), created_at=now))
    with db.transaction() as s:
        assert s.query(Membership).count() == 2
    db.dispose()
