"""Measures tables (this service's own database) and the queries over them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text,
                        UniqueConstraint, select)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kf.contracts.measures import MeasureState
from kf.runtime.kit_tables import add_kit_tables
from services.measures.domain import allowed_next_states

metadata = MetaData()
add_kit_tables(metadata)
SeqType = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = metadata


class Measure(Base):
    """A measure (tiltak) and where it stands; the decision, ownership and ending live on the row."""

    __tablename__ = "measures"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    focus_area: Mapped[str] = mapped_column(String(64), index=True)
    proposing_group_id: Mapped[str | None] = mapped_column(String(64))
    contact_person_id: Mapped[str | None] = mapped_column(String(64))
    partner_organisation_ids: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(32), index=True)
    proposed_on: Mapped[date] = mapped_column(Date)
    state_since: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_rationale: Mapped[str | None] = mapped_column(Text)
    owner_organisation_id: Mapped[str | None] = mapped_column(String(64))
    mandate_holder_person_id: Mapped[str | None] = mapped_column(String(64))
    ownership_accepted_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Two concurrent transitions of one measure: the second fails instead of overwriting the first.
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}

    @property
    def allowed_next_states(self) -> list[MeasureState]:
        return allowed_next_states(MeasureState(self.state))


class MeasureInput(Base):
    """Input on a measure, from a workshop (its id is the events service's input id) or entered here."""

    __tablename__ = "measure_inputs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    gathering_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    author_person_id: Mapped[str | None] = mapped_column(String(64))
    recorded_on: Mapped[date] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(20))  # "workshop" (consumed event) or "api"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExpectedEffect(Base):
    __tablename__ = "expected_effects"
    __table_args__ = (UniqueConstraint("measure_id", "indicator", name="uq_expected_effect_indicator"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(40))
    baseline: Mapped[float] = mapped_column(Float)
    baseline_date: Mapped[date] = mapped_column(Date)
    target: Mapped[float] = mapped_column(Float)
    target_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EffectReport(Base):
    """An observed value; never edited: a correction is a new row naming the report it supersedes."""

    __tablename__ = "effect_reports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    reported_by_person_id: Mapped[str] = mapped_column(String(64))
    # Unique: a report is superseded at most once, even under concurrent corrections.
    supersedes_report_id: Mapped[str | None] = mapped_column(ForeignKey("effect_reports.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Follower(Base):
    __tablename__ = "followers"
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    __tablename__ = "notifications"
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"))
    kind: Mapped[str] = mapped_column(String(40))  # "status_changed" or "effect_reported"
    event_id: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


Index("ix_notifications_person", Notification.region, Notification.person_id, Notification.seq)


class HistoryEntry(Base):
    """Every event of a measure, as recorded with it in the outbox; the source of GET /measures/{id}/history."""

    __tablename__ = "measure_history"
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict] = mapped_column(JSON)



def superseded_ids(session: Session, measure_id: str) -> set[str]:
    return set(session.execute(select(EffectReport.supersedes_report_id).where(
        EffectReport.measure_id == measure_id, EffectReport.supersedes_report_id.is_not(None))).scalars())


def followers_of(session: Session, measure_id: str) -> list[str]:
    return list(session.execute(select(Follower.person_id).where(Follower.measure_id == measure_id)
                                .order_by(Follower.person_id)).scalars())
