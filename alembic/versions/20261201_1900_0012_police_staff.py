"""police staff: a portal role scoped to one force, and extracts held between their preview and processing

Revision ID: 0012_police_staff
Revises: 0011_duty_edges
Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
import sqlmodel

import service.db
from alembic import op


revision = '0012_police_staff'
down_revision = '0011_duty_edges'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'police_staff_membership',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('force_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_police_staff_membership_user_id_user_account')),
        sa.ForeignKeyConstraint(['force_id'], ['police_force.id'], name=op.f('fk_police_staff_membership_force_id_police_force')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_police_staff_membership')),
    )
    with op.batch_alter_table('police_staff_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_police_staff_membership_force_id'), ['force_id'], unique=False)
    op.create_table(
        'police_upload',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('force_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('sealed_incidents', sa.Text(), nullable=True),
        sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('incidents_total', sa.Integer(), nullable=False),
        sa.Column('children_total', sa.Integer(), nullable=False),
        sa.Column('incidents_done', sa.Integer(), nullable=False),
        sa.Column('new_count', sa.Integer(), nullable=False),
        sa.Column('corrected_count', sa.Integer(), nullable=False),
        sa.Column('unchanged_count', sa.Integer(), nullable=False),
        sa.Column('failed_count', sa.Integer(), nullable=False),
        sa.Column('outcomes', sa.JSON(), nullable=False),
        sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_police_upload_user_id_user_account')),
        sa.ForeignKeyConstraint(['force_id'], ['police_force.id'], name=op.f('fk_police_upload_force_id_police_force')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_police_upload')),
    )
    with op.batch_alter_table('police_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_police_upload_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('police_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_police_upload_user_id'))
    op.drop_table('police_upload')
    with op.batch_alter_table('police_staff_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_police_staff_membership_force_id'))
    op.drop_table('police_staff_membership')
