"""initial schema

Revision ID: 0001_measures
Revises: 
Create Date: 2026-11-28 00:56:04.217917
"""
from alembic import op
import sqlalchemy as sa


revision = '0001_measures'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('measures',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('focus_area', sa.String(length=64), nullable=False),
    sa.Column('proposing_group_id', sa.String(length=64), nullable=True),
    sa.Column('contact_person_id', sa.String(length=64), nullable=True),
    sa.Column('partner_organisation_ids', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('proposed_on', sa.Date(), nullable=False),
    sa.Column('state_since', sa.Date(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decision_rationale', sa.Text(), nullable=True),
    sa.Column('owner_organisation_id', sa.String(length=64), nullable=True),
    sa.Column('mandate_holder_person_id', sa.String(length=64), nullable=True),
    sa.Column('ownership_accepted_on', sa.Date(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('stopped_on', sa.Date(), nullable=True),
    sa.Column('stop_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measures_focus_area'), ['focus_area'], unique=False)
        batch_op.create_index(batch_op.f('ix_measures_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_measures_state'), ['state'], unique=False)

    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('processed_events',
    sa.Column('consumer', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('stream_seq', sa.BigInteger(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_table('effect_reports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('measure_id', sa.String(length=36), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('reported_by_person_id', sa.String(length=64), nullable=False),
    sa.Column('supersedes_report_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ),
    sa.ForeignKeyConstraint(['supersedes_report_id'], ['effect_reports.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supersedes_report_id')
    )
    with op.batch_alter_table('effect_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_effect_reports_measure_id'), ['measure_id'], unique=False)

    op.create_table('expected_effects',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('measure_id', sa.String(length=36), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=False),
    sa.Column('baseline_date', sa.Date(), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('measure_id', 'indicator', name='uq_expected_effect_indicator')
    )
    with op.batch_alter_table('expected_effects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expected_effects_measure_id'), ['measure_id'], unique=False)

    op.create_table('followers',
    sa.Column('measure_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ),
    sa.PrimaryKeyConstraint('measure_id', 'person_id')
    )
    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followers_person_id'), ['person_id'], unique=False)

    op.create_table('measure_history',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('measure_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=200), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('measure_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_history_measure_id'), ['measure_id'], unique=False)

    op.create_table('measure_inputs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('measure_id', sa.String(length=36), nullable=False),
    sa.Column('gathering_id', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_person_id', sa.String(length=64), nullable=True),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('measure_inputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_inputs_measure_id'), ['measure_id'], unique=False)

    op.create_table('notifications',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('measure_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], ),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_person', ['region', 'person_id', 'seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_person')

    op.drop_table('notifications')
    with op.batch_alter_table('measure_inputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_inputs_measure_id'))

    op.drop_table('measure_inputs')
    with op.batch_alter_table('measure_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_history_measure_id'))

    op.drop_table('measure_history')
    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followers_person_id'))

    op.drop_table('followers')
    with op.batch_alter_table('expected_effects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expected_effects_measure_id'))

    op.drop_table('expected_effects')
    with op.batch_alter_table('effect_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_effect_reports_measure_id'))

    op.drop_table('effect_reports')
    op.drop_table('processed_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measures_state'))
        batch_op.drop_index(batch_op.f('ix_measures_region'))
        batch_op.drop_index(batch_op.f('ix_measures_focus_area'))

    op.drop_table('measures')
