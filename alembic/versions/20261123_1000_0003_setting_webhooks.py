"""setting webhooks

Revision ID: 0003_setting_webhooks
Revises: 0002_portal_accounts
Create Date: 2026-11-23 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import service.db


revision = '0003_setting_webhooks'
down_revision = '0002_portal_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('setting_webhook',
    sa.Column('urn', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('secrets', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('urn', name=op.f('pk_setting_webhook'))
    )


def downgrade() -> None:
    op.drop_table('setting_webhook')
