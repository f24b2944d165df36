"""initial schema

Revision ID: 0001_events
Revises: 
Create Date: 2026-11-28 00:56:18.213032
"""
from alembic import op
import sqlalchemy as sa


revision = '0001_events'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('communications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('focus_areas', sa.JSON(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=True),
    sa.Column('views', sa.Integer(), nullable=True),
    sa.Column('reach_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_communications_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_communications_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_communications_region'), ['region'], unique=False)

    op.create_table('directory_groups',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=True),
    sa.Column('focus_area', sa.String(length=64), nullable=True),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('directory_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_groups_region'), ['region'], unique=False)

    op.create_table('directory_memberships',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('directory_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_memberships_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_memberships_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_memberships_region'), ['region'], unique=False)

    op.create_table('directory_people',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.String(length=64), nullable=True),
    sa.Column('sector', sa.String(length=40), nullable=True),
    sa.Column('role_kind', sa.String(length=40), nullable=True),
    sa.Column('erased', sa.Boolean(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('directory_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_people_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_people_region'), ['region'], unique=False)

    op.create_table('gatherings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('focus_areas', sa.JSON(), nullable=False),
    sa.Column('hosting_group_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gatherings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gatherings_hosting_group_id'), ['hosting_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gatherings_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_gatherings_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_gatherings_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_gatherings_state'), ['state'], unique=False)

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
    op.create_table('agenda_items',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('gathering_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('speaker_person_id', sa.String(length=64), nullable=True),
    sa.Column('external_speaker_name', sa.String(length=200), nullable=True),
    sa.Column('external_speaker_organisation', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['gathering_id'], ['gatherings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_gathering_id'), ['gathering_id'], unique=False)

    op.create_table('attendances',
    sa.Column('gathering_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.String(length=64), nullable=False),
    sa.Column('sector', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['gathering_id'], ['gatherings.id'], ),
    sa.PrimaryKeyConstraint('gathering_id', 'person_id')
    )
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendances_person_id'), ['person_id'], unique=False)

    op.create_table('workshop_inputs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('gathering_id', sa.String(length=36), nullable=False),
    sa.Column('measure_id', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_person_id', sa.String(length=64), nullable=True),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['gathering_id'], ['gatherings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workshop_inputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_inputs_gathering_id'), ['gathering_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_inputs_measure_id'), ['measure_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('workshop_inputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_inputs_measure_id'))
        batch_op.drop_index(batch_op.f('ix_workshop_inputs_gathering_id'))

    op.drop_table('workshop_inputs')
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendances_person_id'))

    op.drop_table('attendances')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_gathering_id'))

    op.drop_table('agenda_items')
    op.drop_table('processed_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('gatherings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gatherings_state'))
        batch_op.drop_index(batch_op.f('ix_gatherings_starts_at'))
        batch_op.drop_index(batch_op.f('ix_gatherings_region'))
        batch_op.drop_index(batch_op.f('ix_gatherings_kind'))
        batch_op.drop_index(batch_op.f('ix_gatherings_hosting_group_id'))

    op.drop_table('gatherings')
    with op.batch_alter_table('directory_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_people_region'))
        batch_op.drop_index(batch_op.f('ix_directory_people_organisation_id'))

    op.drop_table('directory_people')
    with op.batch_alter_table('directory_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_memberships_region'))
        batch_op.drop_index(batch_op.f('ix_directory_memberships_person_id'))
        batch_op.drop_index(batch_op.f('ix_directory_memberships_group_id'))

    op.drop_table('directory_memberships')
    with op.batch_alter_table('directory_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_groups_region'))

    op.drop_table('directory_groups')
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communications_region'))
        batch_op.drop_index(batch_op.f('ix_communications_published_at'))
        batch_op.drop_index(batch_op.f('ix_communications_channel'))

    op.drop_table('communications')
