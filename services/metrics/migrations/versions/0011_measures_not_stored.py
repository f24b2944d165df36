"""measures' contributions no longer stored

A measure's contributions to the dated counters are a function of its own row, so a batch now takes the difference
between what the row gives after and before its merges, and a rebuild sums them from the rows in SQL; the stored rows
(a million of the 3.7 million at 1,000,000 events) only cost writes. The sums in `mx_counts` already include them and
stay as they are.

Revision ID: 0011_metrics
Revises: 0010_metrics
Create Date: 2026-11-29 16:20:00
"""
from alembic import op


revision = '0011_metrics'
down_revision = '0010_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM mx_contributions WHERE entity LIKE 'x:%'")


def downgrade() -> None:
    # An earlier version diffs a measure's contributions against stored ones it no longer finds: rebuild them.
    op.execute("INSERT INTO mx_derive_pending (name, since) SELECT 'replay', CURRENT_TIMESTAMP "
               "WHERE NOT EXISTS (SELECT 1 FROM mx_derive_pending)")
