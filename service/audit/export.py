"""CSV export of the audit trail for a time range; the export is itself written to the trail."""

import csv
import io
import json
from datetime import UTC, datetime

from sqlmodel import Session

from service.audit import service as audit_service
from service.audit.models import AuditEvent
from service.audit.service import Actor

CSV_COLUMNS = ("id", "at", "actor_type", "actor_id", "action", "object_type", "object_id", "source", "detail")
# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def audit_row(event: AuditEvent) -> list[str]:
    return [
        str(event.id), event.at.isoformat(), event.actor_type, event.actor_id, event.action, event.object_type,
        event.object_id, event.source, json.dumps(event.detail, sort_keys=True, default=str),
    ]


def export_audit_csv(session: Session, start: datetime, end: datetime, actor: Actor) -> str:
    """The audit events from start (inclusive) to end (exclusive) as CSV, times in UTC. Does not commit."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("The export range needs timezone-aware times.")
    if end <= start:
        raise ValueError("The end of the export range must be after its start.")
    events = audit_service.events_between(session, start, end)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow([_cell(value) for value in audit_row(event)])
    period = f"{start.astimezone(UTC):%Y-%m-%dT%H:%MZ}/{end.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
    audit_service.record(session, actor, "audit.exported", "audit_trail", period,
                         start=start.isoformat(), end=end.isoformat(), events=len(events))
    return buffer.getvalue()
