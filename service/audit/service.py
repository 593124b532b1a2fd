"""Writing to the append-only audit trail. There is deliberately no update or delete here."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from service.audit.models import AuditEvent
from service.db import insert_rows


@dataclass(frozen=True)
class Actor:
    """Who is acting: a portal user, a police client, an operator at the CLI, or the worker."""

    type: str
    id: str
    source: str = ""


WORKER = Actor(type="worker", id="worker", source="worker")


def record(session: Session, actor: Actor, action: str, object_type: str, object_id: str, **detail) -> AuditEvent:
    event = AuditEvent(**entry(actor, action, object_type, object_id, **detail))
    session.add(event)
    return event


def record_now(session: Session, actor: Actor, action: str, object_type: str, object_id: str, **detail) -> None:
    """As record, written at once with one INSERT (intake, where nothing reads the entry back)."""
    insert_rows(session, AuditEvent.__table__, [entry(actor, action, object_type, object_id, **detail)])


def entry(actor: Actor, action: str, object_type: str, object_id: str, **detail) -> dict:
    """An audit entry's columns; its time is the moment it is written."""
    return {"actor_type": actor.type, "actor_id": actor.id, "source": actor.source[:100], "action": action,
            "object_type": object_type, "object_id": str(object_id), "detail": detail}


def events_between(session: Session, start: datetime, end: datetime) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.at >= start, AuditEvent.at < end).order_by(AuditEvent.id)))
