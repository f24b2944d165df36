"""gathering ties follow from the attendance: index attendance by organisation and area pairs by pair, drop stored
gathering ties

Revision ID: 0004_metrics
Revises: 0003_metrics
Create Date: 2026-11-28 05:00:00

The pair summaries (mx_pairs, mx_area_pairs) are unchanged, so no replay is needed. A downgrade leaves mx_ties
without gathering rows: run `kf replay metrics` after one.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_metrics'
down_revision = '0003_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mx_attendances', schema=None) as batch_op:
        batch_op.create_index('ix_mx_attendances_org', ['region', 'organisation_id', 'gathering_id', 'sector'],
                                unique=False)
    with op.batch_alter_table('mx_area_pairs', schema=None) as batch_op:
        batch_op.create_index('ix_mx_area_pairs_pair', ['region', 'org_a', 'org_b'], unique=False)
    op.get_bind().execute(sa.text("DELETE FROM mx_ties WHERE origin = 'gathering'"))


def downgrade() -> None:
    with op.batch_alter_table('mx_area_pairs', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_area_pairs_pair')
    with op.batch_alter_table('mx_attendances', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_attendances_org')
