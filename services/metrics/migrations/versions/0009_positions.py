"""consumer positions instead of the inbox of applied event ids

The metrics projections apply an event twice without a difference (versioned merges, counters recomputed from the
facts), so the consumers keep where they stand (`mx_positions`) instead of one `processed_events` row per event,
which cost nearly half the time to apply a batch. The rows the inbox holds are no longer read: deleted here.

Revision ID: 0009_metrics
Revises: 0008_metrics
Create Date: 2026-11-29 12:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009_metrics'
down_revision = '0008_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mx_positions',
                    sa.Column('source', sa.String(length=32), nullable=False),
                    sa.Column('stream_seq', sa.BigInteger(), nullable=False),
                    sa.Column('events', sa.BigInteger(), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('source'))
    op.execute("DELETE FROM processed_events")


def downgrade() -> None:
    # An earlier version finds its inbox empty: it applies a redelivered event again, which changes nothing.
    op.drop_table('mx_positions')
