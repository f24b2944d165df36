"""Metrics tables: fact tables keyed by aggregate id (the projections) and the goals.

Each fact row is written by upserts guarded by a version (`<group>_v` = event time and id; projection.py), so
applying events in any order, any number of times, leaves the same rows: the newest event for each group of
fields wins, and a duplicate changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Float, Index, Integer, MetaData, String, Table, Text, delete
from sqlalchemy.orm import Session

from kf.contracts.envelope import CloudEvent
from kf.runtime.consumer import PROCESSED
from kf.runtime.kit_tables import add_kit_tables

metadata = MetaData()
add_kit_tables(metadata)

V = 80  # length of a version string: "2021-03-01T10:00:00.000000+00:00|<event id>"


def _v(name: str) -> Column:
    return Column(f"{name}_v", String(V), nullable=True)


def _key(*names: str) -> list[Column]:
    return [Column("region", String(64), primary_key=True)] + [Column(n, String(64), primary_key=True) for n in names]


organisations = Table("mx_organisations", metadata, *_key("organisation_id"),
                      Column("sector", String(40)), _v("org"))
people = Table("mx_people", metadata, *_key("person_id"),
               Column("organisation_id", String(64)), Column("sector", String(40)), Column("role_kind", String(40)),
               _v("person"))
groups = Table("mx_groups", metadata, *_key("group_id"),
               Column("kind", String(40)), Column("focus_area", String(64)), _v("group"))
# What a person's role kind, an organisation's sector and a group's focus area were from a date on: one row per
# entity and day of a registration or an update (the event's Norwegian calendar day; the newest event of the day
# wins). The value of a date is that of the latest row on or before it; before the first row, the first row's, so a
# registration holds for the whole past (memberships are often recorded after they began). Counters and the
# network read these; the rows above hold the newest values.
def _history(name: str, ident: str, column: Column) -> Table:
    return Table(name, metadata, *_key(ident), Column("since", Date, primary_key=True), column, _v("hist"))


def history_columns(table: Table) -> tuple[Column, Column]:
    """The id and the value column of a dated history table."""
    region, ident, since, value, version = table.c
    return ident, value


person_roles = _history("mx_person_roles", "person_id", Column("role_kind", String(40)))
org_sectors = _history("mx_org_sectors", "organisation_id", Column("sector", String(40)))
group_areas = _history("mx_group_areas", "group_id", Column("focus_area", String(64)))
memberships = Table("mx_memberships", metadata, *_key("membership_id"),
                    Column("group_id", String(64), index=True), Column("person_id", String(64), index=True),
                    Column("organisation_id", String(64)), Column("sector", String(40)), Column("role_kind", String(40)),
                    Column("joined_on", Date), _v("joined"), Column("left_on", Date), _v("left"),
                    Column("mandate_on", Date), _v("mandate"))
gatherings = Table("mx_gatherings", metadata, *_key("gathering_id"),
                   Column("kind", String(40)), Column("held_on", Date, index=True), Column("focus_areas", Text),
                   Column("attendees", Integer), _v("held"))
attendances = Table("mx_attendances", metadata, *_key("gathering_id", "person_id"),
                    Column("organisation_id", String(64)), Column("sector", String(40)), Column("role", String(40)),
                    Column("held_on", Date))
# Who attended when (refresh._ATTENDED reads it by person; the person alone is a prefix of it).
Index("ix_mx_attendances_person_held", attendances.c.region, attendances.c.person_id, attendances.c.held_on)
# Which gatherings an organisation was at, and whether another one was there too (pairs.py recomputes a pair).
Index("ix_mx_attendances_org", attendances.c.region, attendances.c.organisation_id, attendances.c.gathering_id,
      attendances.c.sector)
# One row per pair of organisations per measure (owner and partners), with the measure's focus area in
# `focus_areas`; org_a < org_b. Gathering ties follow from the attendance (pairs.py); rows of origin `gathering`
# are no longer written.
ties = Table("mx_ties", metadata, Column("region", String(64), primary_key=True),
             Column("origin", String(16), primary_key=True), Column("source_id", String(64), primary_key=True),
             Column("org_a", String(64), primary_key=True), Column("org_b", String(64), primary_key=True),
             Column("tie_on", Date, index=True), Column("sector_a", String(40)), Column("sector_b", String(40)),
             Column("focus_areas", Text))
Index("ix_mx_ties_pair", ties.c.region, ties.c.org_a, ties.c.org_b)
Index("ix_mx_ties_b", ties.c.region, ties.c.org_b)
# One row per organisation pair and origin: the first date of any tie, and of a tie across the recorded sectors
# (gatherings only; a measure tie's sectors are looked up when queried). One row per origin, so the events and
# the measures consumers never write the same row.
pairs = Table("mx_pairs", metadata, Column("region", String(64), primary_key=True),
              Column("org_a", String(64), primary_key=True), Column("org_b", String(64), primary_key=True),
              Column("origin", String(16), primary_key=True),
              Column("first_on", Date), Column("first_cross_on", Date))
# Both origins of a pair merged, per scope ('' for the region, else a focus area: gatherings tagged with it and
# measures of it), for the tie KPIs: the first date of any tie, and of a tie across sectors (a gathering's recorded
# sectors, or a measure tie between organisations registered in different sectors).
pair_firsts = Table("mx_pair_firsts", metadata, Column("region", String(64), primary_key=True),
                    Column("scope", String(64), primary_key=True),
                    Column("org_a", String(64), primary_key=True), Column("org_b", String(64), primary_key=True),
                    Column("first_on", Date), Column("cross_on", Date))
Index("ix_mx_pair_firsts_first", pair_firsts.c.region, pair_firsts.c.scope, pair_firsts.c.first_on, pair_firsts.c.org_a,
      pair_firsts.c.org_b)
Index("ix_mx_pair_firsts_a", pair_firsts.c.region, pair_firsts.c.scope, pair_firsts.c.org_a, pair_firsts.c.first_on)
Index("ix_mx_pair_firsts_b", pair_firsts.c.region, pair_firsts.c.scope, pair_firsts.c.org_b, pair_firsts.c.first_on)
Index("ix_mx_pair_firsts_pair", pair_firsts.c.region, pair_firsts.c.org_a, pair_firsts.c.org_b)
# Every organisation that is or was in a pair (only grows): those not taking part on a date are few, so the
# network's ties among those taking part are counted as all ties less those of the others.
pair_orgs = Table("mx_pair_orgs", metadata, Column("region", String(64), primary_key=True),
                  Column("organisation_id", String(64), primary_key=True))
# The same for gathering ties per focus area of the gathering (measure ties per focus area are few: read directly).
area_pairs = Table("mx_area_pairs", metadata, Column("region", String(64), primary_key=True),
                   Column("focus_area", String(64), primary_key=True),
                   Column("org_a", String(64), primary_key=True), Column("org_b", String(64), primary_key=True),
                   Column("first_on", Date), Column("first_cross_on", Date))
Index("ix_mx_area_pairs_pair", area_pairs.c.region, area_pairs.c.org_a, area_pairs.c.org_b)
Index("ix_mx_area_pairs_b", area_pairs.c.region, area_pairs.c.org_b)
Index("ix_mx_pairs_b", pairs.c.region, pairs.c.org_b)
communications = Table("mx_communications", metadata, *_key("communication_id"),
                       Column("channel", String(40)), Column("published_on", Date, index=True),
                       Column("focus_areas", Text), _v("published"),
                       Column("recipients", Integer), Column("views", Integer), _v("reach"))
_MEASURE_DATES = ("proposed", "adopted", "rejected", "accepted", "started", "completed", "stopped")
measures = Table("mx_measures", metadata, *_key("measure_id"),
                 Column("focus_area", String(64)), _v("focus"),
                 Column("partners", Text), _v("partners"),
                 Column("owner_organisation_id", String(64)),
                 *[c for d in _MEASURE_DATES for c in (Column(f"{d}_on", Date), _v(d))])
expectations = Table("mx_effect_expectations", metadata, *_key("expectation_id"),
                     Column("measure_id", String(64)), Column("focus_area", String(64)), Column("indicator", String(64)),
                     Column("baseline", Float), Column("baseline_date", Date), Column("target", Float),
                     Column("target_date", Date), _v("expectation"))
reports = Table("mx_effect_reports", metadata, *_key("report_id"),
                Column("measure_id", String(64)), Column("focus_area", String(64)), Column("indicator", String(64)),
                Column("value", Float), Column("period_end", Date, index=True),
                Column("supersedes_report_id", String(64)), _v("report"))

# Dated counters (counters.py): each entity's contributions (a measure's are not stored: they follow from its row),
# and their sums per year, month and day.
contributions = Table("mx_contributions", metadata, Column("region", String(64), primary_key=True),
                      Column("entity", String(140), primary_key=True), Column("scope", String(64), primary_key=True),
                      Column("metric", String(100), primary_key=True), Column("day", Date, primary_key=True),
                      Column("value", Float, nullable=False))
Index("ix_mx_contributions_metric", contributions.c.region, contributions.c.scope, contributions.c.metric,
      contributions.c.day)
counts = Table("mx_counts", metadata, Column("region", String(64), primary_key=True),
               Column("scope", String(64), primary_key=True), Column("period", String(12), primary_key=True),
               Column("metric", String(100), primary_key=True), Column("value", Float, nullable=False))
Index("ix_mx_memberships_org", memberships.c.region, memberships.c.organisation_id)
Index("ix_mx_effect_reports_measure", reports.c.region, reports.c.measure_id)
# With the region in front: given `region = ? AND supersedes_report_id IN (...)`, SQLite chose the region's rows of
# the measure index over the one-column index, a scan of every report per lookup (refresh._SUPERSEDED_ON).
Index("ix_mx_effect_reports_supersedes", reports.c.region, reports.c.supersedes_report_id)
Index("ix_mx_effect_expectations_measure", expectations.c.region, expectations.c.measure_id)

# One row while the derived tables (pair summaries, measure ties, counters) lag the facts: a replay writes the facts
# first and derives once at the end; a service that finds the row (a replay was stopped) derives before consuming.
derive_pending = Table("mx_derive_pending", metadata, Column("name", String(32), primary_key=True),
                       Column("since", DateTime(timezone=True), nullable=False))

# Where each consumer stands, written in each batch's transaction. The projections need no inbox of applied event
# ids: every write is a versioned merge or a recomputation from the facts, so an event applied twice changes nothing.
positions = Table("mx_positions", metadata, Column("source", String(32), primary_key=True),
                  Column("stream_seq", BigInteger, nullable=False),  # the highest stream sequence applied
                  Column("events", BigInteger, nullable=False),  # events in the batches applied, redeliveries included
                  Column("updated_at", DateTime(timezone=True), nullable=False))

# The fact tables, written by the consumers' versioned merges; every other projection is derived from them. While
# mx_derive_pending has a row, their secondary indexes are absent on SQLite (derive.mark_pending): a migration that
# changes one must not assume it exists.
FACTS = (organisations, people, groups, person_roles, org_sectors, group_areas, memberships, gatherings, attendances,
         communications, measures, expectations, reports)
PROJECTIONS = (*FACTS, ties, pairs, pair_firsts, pair_orgs, area_pairs, contributions, counts)

goals = Table("goals", metadata, Column("goal_id", String(36), primary_key=True),
              Column("region", String(64), nullable=False, index=True), Column("title", String(200), nullable=False),
              Column("kpi", String(100), nullable=False), Column("focus_area", String(64)),
              Column("baseline_value", Float, nullable=False), Column("baseline_date", Date, nullable=False),
              Column("target_value", Float, nullable=False), Column("target_date", Date, nullable=False),
              Column("method", String(16), nullable=False), Column("retired", Boolean, nullable=False, default=False),
              Column("retired_on", Date), Column("created_at", DateTime(timezone=True), nullable=False),
              Column("updated_at", DateTime(timezone=True), nullable=False))


def stamp(moment: datetime, event_id: str) -> str:
    """A sortable version: the moment in UTC (naive means UTC), then the event id to break ties."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "|" + event_id


def version(envelope: CloudEvent) -> str:
    """Orders the events that write one group of fields: event time, then event id."""
    return stamp(envelope.time, envelope.id)


def areas_text(areas) -> str:
    """Focus areas stored as ',a,b,' so `LIKE '%,a,%'` finds one."""
    return "," + ",".join(sorted(set(areas))) + "," if areas else ","


def clear_projections(session: Session, consumers: list[str]) -> None:
    for table in (*PROJECTIONS, positions):
        session.execute(delete(table))
    session.execute(delete(PROCESSED).where(PROCESSED.c.consumer.in_(consumers)))  # kept by earlier versions
