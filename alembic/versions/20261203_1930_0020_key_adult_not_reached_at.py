"""when a Key Adult's email bounced, for police to read back

Revision ID: 0020_key_adult_not_reached_at
Revises: 0019_incident_withdrawn_at
Create Date: 2026-12-03 19:30:00

notification.key_adult_not_reached_at and notification_owner_period.key_adult_not_reached_at: set once an owner when
GOV.UK Notify says the email to one of its Key Adults can never arrive (a permanent failure), so police read back
that the setting's deputies and the LA were told. Null on older rows: no bounce was recorded for police before.
"""
import sqlalchemy as sa
from alembic import op

import service.db


revision = '0020_key_adult_not_reached_at'
down_revision = '0019_incident_withdrawn_at'
branch_labels = None
depends_on = None

TABLES = ('notification', 'notification_owner_period')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('key_adult_not_reached_at', service.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('key_adult_not_reached_at')
