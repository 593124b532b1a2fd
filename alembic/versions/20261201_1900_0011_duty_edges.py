"""the duty's real edges: several settings per child, police withdrawal, Notify delivery receipts

Revision ID: 0011_duty_edges
Revises: 0010_membership_offers
Create Date: 2026-12-01 19:00:00

A child may have up to three other settings besides their main one: each is its own notification, numbered by
setting_position (0 the main setting), so a child reference is unique per incident and position. A notification
police withdraw keeps when and why (withdrawn_at, withdrawal_reason; the note is purged with the child data). An
email Notify accepted is "sent" (sent_at) until its delivery receipt says delivered; each outbox message records
Notify's id and the receipt. The callback's bearer token is stored as a SHA-256 only.
"""
import sqlalchemy as sa
import sqlmodel

import service.db
from alembic import op


revision = '0011_duty_edges'
down_revision = '0010_membership_offers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setting_position', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('merged_hints', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', service.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', service.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.drop_constraint('uq_notification_child', type_='unique')
        batch_op.create_unique_constraint('uq_notification_child', ['incident_id', 'child_reference', 'setting_position'])
    with op.batch_alter_table('notification_owner_period', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', service.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('receipt_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('receipt_at', service.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_sent_at', ['sent_at'], unique=False)
        batch_op.create_index('ix_outbox_receipt', ['receipt_status', 'notification_id'], unique=False)
    op.create_table(
        'notify_callback_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_callback_token')),
        sa.UniqueConstraint('token_sha256', name=op.f('uq_notify_callback_token_token_sha256')),
    )
    # Until now "delivered" meant "Notify accepted it"; from here that is "sent", and "delivered" waits for a receipt.
    # Existing rows keep what they said: nothing can receive a receipt for them any more.


def downgrade() -> None:
    op.drop_table('notify_callback_token')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_receipt')
        batch_op.drop_index('ix_outbox_sent_at')
        batch_op.drop_column('receipt_at')
        batch_op.drop_column('receipt_status')
        batch_op.drop_column('provider_id')
    with op.batch_alter_table('notification_owner_period', schema=None) as batch_op:
        batch_op.drop_column('sent_at')
    # The earlier code knows neither status: a withdrawn notification is closed, a sent one delivered.
    op.execute("UPDATE notification SET status = 'closed' WHERE status = 'withdrawn'")
    op.execute("UPDATE notification SET status = 'delivered', delivered_at = sent_at WHERE status = 'sent'")
    # Other settings' notifications stay, told apart by their child reference, which must be unique again.
    op.execute("UPDATE notification SET child_reference = substr(child_reference, 1, 60) || '#' || setting_position "
               "WHERE setting_position > 0")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('uq_notification_child', type_='unique')
        batch_op.create_unique_constraint('uq_notification_child', ['incident_id', 'child_reference'])
        batch_op.drop_column('withdrawal_note')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('merged_hints')
        batch_op.drop_column('setting_position')
