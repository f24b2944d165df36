"""a marker row while the derived tables lag the facts (a replay derives them once at the end)

Set at once where 0005 left the counters empty beside facts.

Revision ID: 0006_metrics
Revises: 0005_metrics
Create Date: 2026-11-28 10:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_metrics'
down_revision = '0005_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mx_derive_pending',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    # Counters that 0005 created empty beside facts: derived when the service starts.
    op.execute("INSERT INTO mx_derive_pending (name, since) SELECT 'replay', CURRENT_TIMESTAMP "
               "WHERE NOT EXISTS (SELECT 1 FROM mx_counts) AND (EXISTS (SELECT 1 FROM mx_memberships) "
               "OR EXISTS (SELECT 1 FROM mx_gatherings) OR EXISTS (SELECT 1 FROM mx_communications) "
               "OR EXISTS (SELECT 1 FROM mx_measures) OR EXISTS (SELECT 1 FROM mx_effect_reports))")


def downgrade() -> None:
    op.drop_table('mx_derive_pending')
