"""two indexes that only cost writes

- `ix_mx_attendances_person` (region, person_id) is a prefix of `ix_mx_attendances_person_held` (region, person_id,
  held_on), which serves the same lookups; every attendance row written kept both up to date. Applying the facts of
  200,000 events in process took 8.0 s without it against 9.8 s with it (docs/benchmarks.md).
- `ix_mx_pair_firsts_cross` (region, scope, cross_on) served counting the pairs tied across sectors by a date, which
  the dated counts (`mx_counts`, tiecounts.py) answer since revision 0007; nothing reads the summary by it.

Revision ID: 0010_metrics
Revises: 0009_metrics
Create Date: 2026-11-29 15:10:00
"""
from alembic import op


revision = '0010_metrics'
down_revision = '0009_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_mx_attendances_person', table_name='mx_attendances')
    op.drop_index('ix_mx_pair_firsts_cross', table_name='mx_pair_firsts')


def downgrade() -> None:
    op.create_index('ix_mx_pair_firsts_cross', 'mx_pair_firsts', ['region', 'scope', 'cross_on'], unique=False)
    op.create_index('ix_mx_attendances_person', 'mx_attendances', ['region', 'person_id'], unique=False)
