"""the owner each "notification waiting" alert was made for

Revision ID: 0018_outbox_owner_since
Revises: 0017_local_guidance
Create Date: 2026-12-03 12:00:00

outbox_message.owner_since: the owner_since of the notification's owner when the alert was made, so an email still
at Notify when the notification changed hands counts for that owner, not the new one. Null on older rows, which
keep the earlier rule (the current owner held it when the email was accepted).
"""
import sqlalchemy as sa
from alembic import op

import service.db


revision = '0018_outbox_owner_since'
down_revision = '0017_local_guidance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_since', service.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('owner_since')
