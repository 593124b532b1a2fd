"""audit trail append-only on PostgreSQL

Revision ID: 0004_audit_append_only
Revises: 0003_setting_webhooks
Create Date: 2026-11-23 11:00:00

A row-level trigger refuses UPDATE and DELETE on audit_event, so even a bug or a stray SQL session with the
application's credentials cannot rewrite the trail. TRUNCATE is a statement-level operation and is not refused:
the test harness empties tables with it, and in production the application's role should not hold TRUNCATE on
audit_event at all. SQLite has no roles to protect against, so nothing is done there.
"""
from alembic import op


revision = '0004_audit_append_only'
down_revision = '0003_setting_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION audit_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER audit_event_append_only
            BEFORE UPDATE OR DELETE ON audit_event
            FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_refuse_change()")
