"""notification owners: earlier owners' periods, the current owner's start, and whose record each action is

Revision ID: 0008_notification_owners
Revises: 0007_totp_secrets_encrypted
Create Date: 2026-12-01 16:00:00

A hand-over (send-back, re-route, onboarding) gives the new owner a clean start. The earlier owner's times move to
notification_owner_period so police read-back can show both. Actions record the owner they were recorded under, so
a note follows nobody to a new setting. Existing actions are given the owner the notification has now: a Key
Adult's to their setting and its LA, an officer's to the LA.
"""
import sqlalchemy as sa
import sqlmodel

import service.db
from alembic import op


revision = '0008_notification_owners'
down_revision = '0007_totp_secrets_encrypted'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notification_owner_period',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('recipient_urn', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column('recipient_la_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column('la_queue', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column('started_at', service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_by', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('acknowledge_by', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('first_viewed_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('deputies_alerted_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('escalated_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notification.id'],
                                name=op.f('fk_notification_owner_period_notification_id_notification')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_owner_period')),
    )
    op.create_index(op.f('ix_notification_owner_period_notification_id'), 'notification_owner_period',
                    ['notification_id'], unique=False)
    with op.batch_alter_table('notification') as batch:
        batch.add_column(sa.Column('owner_since', service.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('notification_action') as batch:
        batch.add_column(sa.Column('owner_urn', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
        batch.add_column(sa.Column('owner_la_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
        batch.add_column(sa.Column('for_urn', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
        batch.add_column(sa.Column('for_la_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
    op.execute("UPDATE notification SET owner_since = received_at")
    # Each existing action goes to the owner its recorder belonged to: a Key Adult's to the setting that holds the
    # notification now only if they are a member there (else to nobody but their LA), an officer's to their own LA.
    op.execute(
        "UPDATE notification_action SET "
        "owner_urn = (SELECT n.recipient_urn FROM notification n, setting_membership m "
        "             WHERE n.id = notification_action.notification_id AND m.user_id = notification_action.recorded_by "
        "             AND m.urn = n.recipient_urn), "
        "owner_la_code = COALESCE("
        "  (SELECT m.la_code FROM la_membership m, notification n WHERE m.user_id = notification_action.recorded_by "
        "   AND n.id = notification_action.notification_id ORDER BY CASE WHEN m.la_code = n.recipient_la_code THEN 0 ELSE 1 END, m.la_code LIMIT 1), "
        "  (SELECT s.la_code FROM setting s, setting_membership m WHERE m.user_id = notification_action.recorded_by "
        "   AND s.urn = m.urn ORDER BY s.la_code LIMIT 1))"
    )

def downgrade() -> None:
    with op.batch_alter_table('notification_action') as batch:
        batch.drop_column('for_la_code')
        batch.drop_column('for_urn')
        batch.drop_column('owner_la_code')
        batch.drop_column('owner_urn')
    with op.batch_alter_table('notification') as batch:
        batch.drop_column('owner_since')
    op.drop_index(op.f('ix_notification_owner_period_notification_id'), table_name='notification_owner_period')
    op.drop_table('notification_owner_period')
