"""index the reports a report supersedes with the region in front, so looking them up reads only those reports

SQLite answered `region = ? AND supersedes_report_id IN (...)` from the region's rows of the measure index (every
report of the region, once per lookup); at 1,000,000 events that took 35 of the 119 seconds of a rebuild.

Revision ID: 0008_metrics
Revises: 0007_metrics
Create Date: 2026-11-29 04:10:00
"""
from alembic import op


revision = '0008_metrics'
down_revision = '0007_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mx_effect_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mx_effect_reports_supersedes_report_id'))
        batch_op.create_index('ix_mx_effect_reports_supersedes', ['region', 'supersedes_report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mx_effect_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_effect_reports_supersedes')
        batch_op.create_index(batch_op.f('ix_mx_effect_reports_supersedes_report_id'), ['supersedes_report_id'],
                              unique=False)
