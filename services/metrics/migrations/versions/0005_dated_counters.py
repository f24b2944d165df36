"""dated counters (each entity's contributions to the KPIs, summed per year, month and day) and the pair summary with
both origins merged

Revision ID: 0005_metrics
Revises: 0004_metrics
Create Date: 2026-11-28 05:40:00

The counters are filled from the fact tables already there, so no replay is needed: revision 0006 marks them for a
derive, which the service runs with its code of the day before it consumes (`consumers.finish_pending_derive`). This
revision first called that code itself, which broke once the code read tables of later revisions.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_metrics'
down_revision = '0004_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mx_contributions',
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=140), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('metric', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('region', 'entity', 'scope', 'metric', 'day')
    )
    with op.batch_alter_table('mx_contributions', schema=None) as batch_op:
        batch_op.create_index('ix_mx_contributions_metric', ['region', 'scope', 'metric', 'day'], unique=False)
    op.create_table('mx_counts',
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('metric', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('region', 'scope', 'period', 'metric')
    )
    op.create_table('mx_pair_firsts',
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('org_a', sa.String(length=64), nullable=False),
    sa.Column('org_b', sa.String(length=64), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=True),
    sa.Column('cross_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('region', 'scope', 'org_a', 'org_b')
    )
    with op.batch_alter_table('mx_pair_firsts', schema=None) as batch_op:
        batch_op.create_index('ix_mx_pair_firsts_cross', ['region', 'scope', 'cross_on'], unique=False)
        batch_op.create_index('ix_mx_pair_firsts_first', ['region', 'scope', 'first_on', 'org_a', 'org_b'], unique=False)
        batch_op.create_index('ix_mx_pair_firsts_a', ['region', 'scope', 'org_a', 'first_on'], unique=False)
        batch_op.create_index('ix_mx_pair_firsts_b', ['region', 'scope', 'org_b', 'first_on'], unique=False)
        batch_op.create_index('ix_mx_pair_firsts_pair', ['region', 'org_a', 'org_b'], unique=False)
    op.create_table('mx_pair_orgs',
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('region', 'organisation_id')
    )
    # Every pair of an organisation, from either side (an organisation's sector changed).
    for table, index in (('mx_ties', 'ix_mx_ties_b'), ('mx_area_pairs', 'ix_mx_area_pairs_b'), ('mx_pairs', 'ix_mx_pairs_b')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, ['region', 'org_b'], unique=False)
    conn = op.get_bind()
    # Measure ties carry their measure's focus area from now on.
    conn.execute(sa.text(
        "UPDATE mx_ties SET focus_areas = (SELECT m.focus_area FROM mx_measures m WHERE m.region = mx_ties.region "
        "AND m.measure_id = mx_ties.source_id) WHERE origin = 'measure'"))
    crosses = ("CASE WHEN oa.sector IS NOT NULL AND ob.sector IS NOT NULL AND oa.sector <> ob.sector THEN {} END")
    sectors = ("LEFT JOIN mx_organisations oa ON oa.region = {t}.region AND oa.organisation_id = {t}.org_a "
               "LEFT JOIN mx_organisations ob ON ob.region = {t}.region AND ob.organisation_id = {t}.org_b ")
    conn.execute(sa.text(
        "INSERT INTO mx_pair_firsts (region, scope, org_a, org_b, first_on, cross_on) "
        "SELECT region, scope, org_a, org_b, MIN(first_on), MIN(cross_on) FROM ("
        "SELECT p.region, '' AS scope, p.org_a, p.org_b, p.first_on, "
        "CASE WHEN p.origin = 'gathering' THEN p.first_cross_on ELSE " + crosses.format("p.first_on") + " END AS cross_on "
        "FROM mx_pairs p " + sectors.format(t="p") +
        "UNION ALL SELECT region, focus_area, org_a, org_b, first_on, first_cross_on FROM mx_area_pairs "
        "UNION ALL SELECT ti.region, ti.focus_areas, ti.org_a, ti.org_b, ti.tie_on, " + crosses.format("ti.tie_on") + " "
        "FROM mx_ties ti " + sectors.format(t="ti") + "WHERE ti.origin = 'measure' AND ti.focus_areas IS NOT NULL"
        ") x GROUP BY region, scope, org_a, org_b"))
    conn.execute(sa.text(
        "INSERT INTO mx_pair_orgs (region, organisation_id) SELECT region, org_a FROM mx_pair_firsts "
        "UNION SELECT region, org_b FROM mx_pair_firsts"))
    with op.batch_alter_table('mx_memberships', schema=None) as batch_op:
        batch_op.create_index('ix_mx_memberships_org', ['region', 'organisation_id'], unique=False)
    with op.batch_alter_table('mx_effect_reports', schema=None) as batch_op:
        batch_op.create_index('ix_mx_effect_reports_measure', ['region', 'measure_id'], unique=False)
    with op.batch_alter_table('mx_effect_expectations', schema=None) as batch_op:
        batch_op.create_index('ix_mx_effect_expectations_measure', ['region', 'measure_id'], unique=False)


def downgrade() -> None:
    for table, index in (('mx_ties', 'ix_mx_ties_b'), ('mx_area_pairs', 'ix_mx_area_pairs_b'), ('mx_pairs', 'ix_mx_pairs_b')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
    with op.batch_alter_table('mx_effect_expectations', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_effect_expectations_measure')
    with op.batch_alter_table('mx_effect_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_effect_reports_measure')
    with op.batch_alter_table('mx_memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_memberships_org')
    with op.batch_alter_table('mx_contributions', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_contributions_metric')
    with op.batch_alter_table('mx_pair_firsts', schema=None) as batch_op:
        batch_op.drop_index('ix_mx_pair_firsts_pair')
        batch_op.drop_index('ix_mx_pair_firsts_b')
        batch_op.drop_index('ix_mx_pair_firsts_a')
        batch_op.drop_index('ix_mx_pair_firsts_first')
        batch_op.drop_index('ix_mx_pair_firsts_cross')
    op.drop_table('mx_pair_orgs')
    op.drop_table('mx_pair_firsts')
    op.drop_table('mx_counts')
    op.drop_table('mx_contributions')
