"""an LA's local guidance paragraphs and local services

Revision ID: 0017_local_guidance
Revises: 0015_routing
Create Date: 2026-12-01 20:00:00

Two JSON lists on local_authority, empty for every LA until it writes its own.
"""
import sqlalchemy as sa
from alembic import op


revision = '0017_local_guidance'
down_revision = '0015_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('local_authority', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_guidance', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('local_services', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('local_authority', schema=None) as batch_op:
        batch_op.drop_column('local_services')
        batch_op.drop_column('local_guidance')
