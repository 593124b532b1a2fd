"""when police withdrew a whole incident version

Revision ID: 0019_incident_withdrawn_at
Revises: 0018_outbox_owner_since
Create Date: 2026-12-03 16:00:00

incident.withdrawn_at: set when police withdraw the incident (not one child), so a child a correction left out and
a later one puts back keeps the owner a person chose only if the incident was not withdrawn since. Null on older
rows: they were not withdrawn as a whole, or it was before put-backs kept anything.
"""
import sqlalchemy as sa
from alembic import op

import service.db


revision = '0019_incident_withdrawn_at'
down_revision = '0018_outbox_owner_since'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', service.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
