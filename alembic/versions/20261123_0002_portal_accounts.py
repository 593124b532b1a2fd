"""portal sessions, one-time links, sign-in throttle

Revision ID: 0002_portal_accounts
Revises: 0001_initial
Create Date: 2026-11-23 09:34:24.878995
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import service.db


revision = '0002_portal_accounts'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_throttle',
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_sign_in_throttle'))
    )
    op.create_table('account_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_account_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_token_token_hash'))
    )
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_token_user_id'), ['user_id'], unique=False)

    op.create_table('portal_session',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pending_totp_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('two_factor_failures', sa.Integer(), nullable=False),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('flashes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_portal_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_portal_session'))
    )
    with op.batch_alter_table('portal_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')

    with op.batch_alter_table('portal_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_session_user_id'))

    op.drop_table('portal_session')
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_token_user_id'))

    op.drop_table('account_token')
    op.drop_table('sign_in_throttle')
