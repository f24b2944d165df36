"""count the pair summary into the dated sums (metrics `ties` and `cross_ties`), which the tie KPIs now read

Revision ID: 0007_metrics
Revises: 0006_metrics
Create Date: 2026-11-28 14:20:00
"""
from alembic import op


revision = '0007_metrics'
down_revision = '0006_metrics'
branch_labels = None
depends_on = None

_METRICS = (("ties", "first_on"), ("cross_ties", "cross_on"))


def upgrade() -> None:
    # The same rows tiecounts.recount writes: one sum per scope and year, month and day of the first (cross) tie.
    # (Revision 0005 fills the counters with the code of its day, which may have counted the ties already.)
    op.execute("DELETE FROM mx_counts WHERE metric IN ('ties', 'cross_ties')")
    for metric, column in _METRICS:
        for prefix, length in (("Y", 4), ("M", 7), ("D", 10)):
            period = f"'{prefix}' || substr(CAST({column} AS VARCHAR), 1, {length})"
            op.execute(
                f"INSERT INTO mx_counts (region, scope, period, metric, value) "
                f"SELECT region, scope, {period}, '{metric}', count(*) FROM mx_pair_firsts "
                f"WHERE {column} IS NOT NULL GROUP BY region, scope, {period}")


def downgrade() -> None:
    op.execute("DELETE FROM mx_counts WHERE metric IN ('ties', 'cross_ties')")
