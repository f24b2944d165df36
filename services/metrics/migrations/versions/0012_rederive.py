"""derive again: expected effects reached only by reported values; members in their organisation's sector

Two KPI rules changed in what the stored contributions hold: an expected effect with nothing reported is not reached
(a decrease target was met by the empty total), and a member counts in its organisation's registered sector rather
than in the one recorded at joining. The derived tables are rebuilt from the facts when the service starts
(`consumers.finish_pending_derive`), as after an interrupted replay.

Revision ID: 0012_metrics
Revises: 0011_metrics
Create Date: 2026-11-29 17:50:00
"""
from alembic import op


revision = '0012_metrics'
down_revision = '0011_metrics'
branch_labels = None
depends_on = None

# Only where there is something to derive again: a new database starts without the marker.
_PENDING = ("INSERT INTO mx_derive_pending (name, since) SELECT 'replay', CURRENT_TIMESTAMP "
            "WHERE NOT EXISTS (SELECT 1 FROM mx_derive_pending) "
            "AND (EXISTS (SELECT 1 FROM mx_memberships) OR EXISTS (SELECT 1 FROM mx_effect_expectations))")


def upgrade() -> None:
    op.execute(_PENDING)


def downgrade() -> None:
    op.execute(_PENDING)  # the earlier rules, from the same facts
