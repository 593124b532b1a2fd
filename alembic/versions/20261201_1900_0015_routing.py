"""routing: each setting's town, so the LA officer's register search can show it and find "St Anne's Baslow"

Revision ID: 0015_routing
Revises: 0012_police_staff
Create Date: 2026-12-01 19:00:00

Filled by the next `register import` (GIAS column "Town"); until then it is empty and the search shows no town.
"""
import sqlalchemy as sa
import sqlmodel

from alembic import op


revision = '0015_routing'
down_revision = '0012_police_staff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('setting') as batch:
        batch.add_column(sa.Column('town', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('setting') as batch:
        batch.drop_column('town')
