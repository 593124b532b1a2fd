"""partial indexes for the Key Adult inbox and LA queues

Revision ID: 0005_portal_page_indexes
Revises: 0004_audit_append_only
Create Date: 2026-11-23 13:00:00

bench/growth.py showed the inbox COUNT and page reading every one of a busy setting's notifications from the table
(15 ms at 1,000,000 stored), and the LA queue counting closed items it then filtered out. These partial indexes
hold only current, waiting or open rows, so both pages are answered from small indexes as history grows.
"""
import sqlalchemy as sa
from alembic import op


revision = '0005_portal_page_indexes'
down_revision = '0004_audit_append_only'
branch_labels = None
depends_on = None

WAITING = "recipient_urn IS NOT NULL AND acknowledged_at IS NULL AND superseded_by_id IS NULL"
OPEN_IN_QUEUE = "la_queue IS NOT NULL AND closed_at IS NULL AND superseded_by_id IS NULL"


def upgrade() -> None:
    op.create_index(
        'ix_notification_setting_current', 'notification', ['recipient_urn', 'received_at', 'id'],
        postgresql_include=['acknowledged_at'],
        sqlite_where=sa.text('superseded_by_id IS NULL'), postgresql_where=sa.text('superseded_by_id IS NULL'),
    )
    op.create_index(
        'ix_notification_setting_waiting', 'notification', ['recipient_urn', 'received_at', 'id'],
        sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING),
    )
    op.create_index(
        'ix_notification_la_open_queue', 'notification', ['la_queue', 'recipient_la_code', 'received_at', 'id'],
        sqlite_where=sa.text(OPEN_IN_QUEUE), postgresql_where=sa.text(OPEN_IN_QUEUE),
    )


def downgrade() -> None:
    op.drop_index('ix_notification_la_open_queue', table_name='notification')
    op.drop_index('ix_notification_setting_waiting', table_name='notification')
    op.drop_index('ix_notification_setting_current', table_name='notification')
