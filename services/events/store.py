"""Events tables (this service's own database): gatherings, communications, and the read model
of people and groups built from membership events."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Integer, MetaData, String, Text, func, select)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from kf.runtime.kit_tables import add_kit_tables

metadata = MetaData()
add_kit_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored datetime is UTC, so make that explicit."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Gathering(Base):
    __tablename__ = "gatherings"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    focus_areas: Mapped[list] = mapped_column(JSON, default=list)
    hosting_group_id: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    held_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agenda: Mapped[list["AgendaItem"]] = relationship(order_by="AgendaItem.position", lazy="selectin",
                                                      cascade="all, delete-orphan")
    attendees: Mapped[list["Attendance"]] = relationship(order_by="Attendance.position", lazy="selectin",
                                                         cascade="all, delete-orphan")


class AgendaItem(Base):
    """An external speaker's name and organisation live here only, never in an event."""

    __tablename__ = "agenda_items"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    gathering_id: Mapped[str] = mapped_column(ForeignKey("gatherings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    speaker_person_id: Mapped[str | None] = mapped_column(String(64))
    external_speaker_name: Mapped[str | None] = mapped_column(String(200))
    external_speaker_organisation: Mapped[str | None] = mapped_column(String(200))

    @property
    def external_speaker(self) -> dict | None:
        if self.external_speaker_name is None:
            return None
        return {"name": self.external_speaker_name, "organisation": self.external_speaker_organisation}


class Attendance(Base):
    """Who attended, with their organisation and sector as the read model knew them when it was held."""

    __tablename__ = "attendances"
    gathering_id: Mapped[str] = mapped_column(ForeignKey("gatherings.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str] = mapped_column(String(64))
    sector: Mapped[str] = mapped_column(String(40))


class WorkshopInput(Base):
    __tablename__ = "workshop_inputs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    gathering_id: Mapped[str] = mapped_column(ForeignKey("gatherings.id"), index=True)
    measure_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_person_id: Mapped[str | None] = mapped_column(String(64))
    recorded_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Communication(Base):
    __tablename__ = "communications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    focus_areas: Mapped[list] = mapped_column(JSON, default=list)
    audience: Mapped[dict] = mapped_column(JSON)
    recipients: Mapped[int | None] = mapped_column(Integer)
    views: Mapped[int | None] = mapped_column(Integer)
    reach_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- read model of the membership service's facts ------------------------------------------------
# `as_of` is the time of the newest event applied to a row: an older event arriving late never
# overwrites a newer fact, so the model converges whatever order the events arrive in.

class KnownPerson(Base):
    __tablename__ = "directory_people"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    organisation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sector: Mapped[str | None] = mapped_column(String(40))
    role_kind: Mapped[str | None] = mapped_column(String(40))
    erased: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def complete(self) -> bool:
        """Known well enough to attend: the organisation and sector have arrived."""
        return self.organisation_id is not None and self.sector is not None


class KnownGroup(Base):
    __tablename__ = "directory_groups"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(40))
    focus_area: Mapped[str | None] = mapped_column(String(64))
    as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KnownMembership(Base):
    __tablename__ = "directory_memberships"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)



def active_groups_of(session: Session, person_id: str) -> list[KnownGroup]:
    """The groups a person is an active member of (a group not yet formed in the model is left out)."""
    query = (select(KnownGroup).join(KnownMembership, KnownMembership.group_id == KnownGroup.id)
             .where(KnownMembership.person_id == person_id, KnownMembership.left_on.is_(None))
             .order_by(KnownGroup.id))
    return list(session.execute(query).scalars().unique())


def count(session: Session, model, *where) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
