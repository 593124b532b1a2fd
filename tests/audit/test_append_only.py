"""The audit trail is append-only: no application code changes or removes rows, and PostgreSQL refuses it outright."""

import os
import re

import pytest
import sqlalchemy as sa
from sqlmodel import select

from service.audit import service as audit_service
from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.config import REPO_ROOT

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
OPERATOR = Actor(type="operator", id="test-operator", source="cli")

# Ways code could rewrite or remove audit rows: ORM and Core statements on the model or its table, raw SQL,
# and deleting a loaded audit object.
TAMPERING = [
    re.compile(r"\b(update|delete)\(\s*(AuditEvent|audit_models\.AuditEvent)\b"),
    re.compile(r"AuditEvent\.__table__\.(update|delete)\("),
    re.compile(r"\b(UPDATE|DELETE\s+FROM|TRUNCATE)\s+(TABLE\s+)?\"?audit_event\b", re.IGNORECASE),
    re.compile(r"\.delete\(\s*(audit_event|audit|event|audit_row)\s*\)"),
    re.compile(r"\bquery\(\s*AuditEvent\s*\)[^\n]*\.(update|delete)\("),
]


def tampering_lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if any(pattern.search(line) for pattern in TAMPERING)]


def test_the_scan_recognises_code_that_would_tamper_with_the_trail():
    tampering = """
        session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
        session.exec(sa.update(AuditEvent).values(actor_id="x"))
        connection.execute(text("DELETE FROM audit_event WHERE id = 3"))
        session.delete(event)
    """
    assert len(tampering_lines(tampering)) == 4
    assert tampering_lines("session.execute(sa.update(Notification).values(given_name=None))") == []


def test_no_application_code_updates_or_deletes_audit_rows():
    found = {}
    for path in sorted((REPO_ROOT / "service").rglob("*.py")):
        lines = tampering_lines(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path.relative_to(REPO_ROOT))] = lines
    assert found == {}


@pytest.mark.skipif(BACKEND != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET actor_id = 'someone-else' WHERE id = :id",
    "DELETE FROM audit_event WHERE id = :id",
])
def test_postgresql_refuses_to_change_or_remove_an_audit_row(db, engine, statement):
    event = audit_service.record(db, OPERATOR, "notification.viewed", "notification", "n-1")
    db.commit()

    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with engine.begin() as connection:
            connection.execute(sa.text(statement), {"id": event.id})

    db.expire_all()
    [kept] = db.exec(select(AuditEvent)).all()
    assert (kept.id, kept.actor_id, kept.action) == (event.id, "test-operator", "notification.viewed")
