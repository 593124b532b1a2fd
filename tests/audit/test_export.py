"""An admin exports the audit trail for a range of days as CSV, and the export itself is on the trail."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from service.audit import service as audit_service
from service.audit.cli import day_range
from service.audit.export import CSV_COLUMNS, export_audit_csv
from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.cli import main

ADMIN = Actor(type="user", id="7", source="portal")


def add_event(db, at: datetime, action: str, object_id: str, actor: Actor = ADMIN) -> AuditEvent:
    event = audit_service.record(db, actor, action, "notification", object_id)
    event.at = at
    db.flush()
    return event


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_holds_the_events_in_the_range_and_records_itself(db):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 4, 1, tzinfo=UTC)
    add_event(db, start - timedelta(seconds=1), "notification.viewed", "before")
    first = add_event(db, start, "notification.viewed", "n-1")
    second = add_event(db, end - timedelta(seconds=1), "notification.acknowledged", "n-1")
    add_event(db, end, "notification.viewed", "after")
    db.commit()

    text = export_audit_csv(db, start, end, ADMIN)
    db.commit()

    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = rows_of(text)
    assert [(row["id"], row["action"], row["object_id"]) for row in rows] == [
        (str(first.id), "notification.viewed", "n-1"), (str(second.id), "notification.acknowledged", "n-1"),
    ]
    assert datetime.fromisoformat(rows[0]["at"]) == start

    [export] = db.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()
    assert (export.actor_type, export.actor_id, export.source) == ("user", "7", "portal")
    assert export.detail == {"start": start.isoformat(), "end": end.isoformat(), "events": 2}


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(db):
    at = datetime(2026, 3, 2, tzinfo=UTC)
    add_event(db, at, "notification.viewed", "=HYPERLINK(\"https://evil.example\",\"click\")")
    db.commit()
    [row] = rows_of(export_audit_csv(db, at, at + timedelta(hours=1), ADMIN))
    assert row["object_id"].startswith("'=")


def test_an_empty_or_backwards_range_is_refused(db):
    at = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="after its start"):
        export_audit_csv(db, at, at, ADMIN)
    assert db.exec(select(AuditEvent)).all() == []


def test_days_are_uk_days_so_summer_time_is_respected():
    start, end = day_range(date(2026, 7, 1), date(2026, 7, 2))
    assert start.astimezone(UTC) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 7, 2, 23, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        day_range(date(2026, 7, 2), date(2026, 7, 1))


def test_the_export_command_writes_the_file_and_is_audited(db, tmp_path, capsys):
    add_event(db, datetime(2026, 1, 10, 12, 0, tzinfo=UTC), "notification.viewed", "n-1")
    add_event(db, datetime(2026, 1, 11, 23, 30, tzinfo=UTC), "notification.rerouted", "n-2")  # 11 January in the UK
    add_event(db, datetime(2026, 1, 12, 0, 30, tzinfo=UTC), "notification.viewed", "n-3")
    db.commit()
    out = tmp_path / "audit.csv"

    assert main(["audit", "export", "--from", "2026-01-10", "--to", "2026-01-11", "--out", str(out)]) == 0

    assert [row["object_id"] for row in rows_of(out.read_text(encoding="utf-8"))] == ["n-1", "n-2"]
    assert "Wrote 2 audit events" in capsys.readouterr().out
    db.expire_all()
    [export] = db.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()
    assert (export.actor_type, export.source, export.detail["events"]) == ("operator", "cli", 2)
