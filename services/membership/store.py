"""Membership tables (this service's own database) and the queries over them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, MetaData, String, UniqueConstraint, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kf.runtime.kit_tables import add_kit_tables

metadata = MetaData()
add_kit_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("region", "org_number", name="uq_organisation_number"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str] = mapped_column(String(9))
    sector: Mapped[str] = mapped_column(String(40), index=True)
    municipality: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Person(Base):
    """Personal data lives here only; erasure blanks it and keeps the pseudonymous id."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role_kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Index("uq_people_email", Person.region, Person.email, unique=True)


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("region", "name", name="uq_group_name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    focus_area: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Membership(Base):
    __tablename__ = "memberships"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    mandate_confirmed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# At most one active membership of a person in a group, even under concurrent requests.
Index("uq_active_membership", Membership.group_id, Membership.person_id, unique=True,
      sqlite_where=text("left_on IS NULL"), postgresql_where=text("left_on IS NULL"))



def active_membership(session: Session, group_id: str, person_id: str) -> Membership | None:
    return session.execute(select(Membership).where(
        Membership.group_id == group_id, Membership.person_id == person_id, Membership.left_on.is_(None))).scalar_one_or_none()


def ended_memberships(session: Session, group_id: str, person_id: str) -> list[tuple[date, date]]:
    """The (joined_on, left_on) spans of the person's ended memberships of the group."""
    return [(row.joined_on, row.left_on) for row in session.execute(
        select(Membership.joined_on, Membership.left_on).where(
            Membership.group_id == group_id, Membership.person_id == person_id, Membership.left_on.is_not(None)))]
