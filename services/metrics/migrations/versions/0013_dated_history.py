"""dated history of role kinds, sectors and group focus areas: an update holds from its day on, not for the whole past

A person's role kind, an organisation's sector and a group's focus area carry no business date, so the CloudEvents
`time` decides where a change falls (issue 5): from the day of the update on. The counters and the network read the
value of each date from these tables. Each entity gets one row from its current value; one row holds for every date,
so the counters stay as they are. Updates applied before this revision keep holding for the whole past until a replay
(`kf replay metrics`) recovers their dates from the streams.

Revision ID: 0013_metrics
Revises: 0012_metrics
Create Date: 2026-11-29 20:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_metrics'
down_revision = '0012_metrics'
branch_labels = None
depends_on = None

_TABLES = (('mx_person_roles', 'person_id', 'role_kind', 40, 'mx_people', 'person_v'),
           ('mx_org_sectors', 'organisation_id', 'sector', 40, 'mx_organisations', 'org_v'),
           ('mx_group_areas', 'group_id', 'focus_area', 64, 'mx_groups', 'group_v'))


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for name, ident, column, length, source, version in _TABLES:
        op.create_table(name,
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column(ident, sa.String(length=64), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.Column(column, sa.String(length=length), nullable=True),
        sa.Column('hist_v', sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint('region', ident, 'since')
        )
        # The version begins with the event's UTC date (ISO); with one row per entity its day decides nothing.
        day = f"substr(coalesce({version}, '1900-01-01'), 1, 10)"
        op.execute(f"INSERT INTO {name} (region, {ident}, since, {column}, hist_v) "
                   f"SELECT region, {ident}, {f'CAST({day} AS DATE)' if postgres else day}, {column}, {version} FROM {source}")


def downgrade() -> None:
    for name, *_ in _TABLES:
        op.drop_table(name)
