"""Police withdrawing a notification sent in error: a whole incident, or one child's notification."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from service.audit import service as audit_service
from service.audit.service import Actor
from service.db import utcnow
from service.notifications import lifecycle
from service.notifications.models import Incident, Notification
from service.notifications.schemas import WithdrawalRequest
from service.notifications.scope import Scope, current_version, get_notification
from service.police.service import AuthenticatedClient
from service.problems import NotFound


def _actor(client: AuthenticatedClient) -> Actor:
    return Actor(type="police_client", id=str(client.client_id), source="api")


def _current_version(session: Session, client: AuthenticatedClient, incident_id: str) -> Incident:
    """The force's incident (its newest version, if police corrected it since); another force's is not found."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.force_id != client.force_id:
        raise NotFound("No incident with that id.")
    if incident.is_current:
        return incident
    current = session.exec(select(Incident).where(
        Incident.force_id == client.force_id, Incident.police_reference == incident.police_reference,
        Incident.is_current)).first()
    return current or incident


def withdraw_incident(session: Session, *, client: AuthenticatedClient, incident_id: str, request: WithdrawalRequest,
                      now: datetime | None = None) -> dict:
    """Withdraws every notification of the incident's current version. A repeat changes nothing and says the same."""
    now = now or utcnow()
    incident = _current_version(session, client, incident_id)
    notifications = session.exec(select(Notification).where(Notification.incident_id == incident.id)
                                 .order_by(Notification.child_reference, Notification.setting_position)).all()
    withdrawn = [n for n in notifications
                 if lifecycle.withdraw(session, n, reason=request.reason, note=request.note, actor=_actor(client), now=now)]
    if withdrawn:
        audit_service.record(session, _actor(client), "incident.withdrawn", "incident", incident.id,
                             reason=request.reason, notifications=len(withdrawn))
    if incident.withdrawn_at is None:
        incident.withdrawn_at = now  # what people chose before it is not carried into a later correction
        session.add(incident)
    return withdrawal_receipt(incident, notifications)


def withdraw_notification(session: Session, *, client: AuthenticatedClient, notification_id: str,
                          request: WithdrawalRequest, now: datetime | None = None) -> dict:
    """Withdraws one notification (one child, or one of a child's settings). A repeat changes nothing.

    Police may name the id from their first receipt after correcting the incident: the withdrawal then reaches the
    newest correction, the version the owner actually holds, and the receipt is for that one."""
    now = now or utcnow()
    scope = Scope(force_id=client.force_id)
    named = get_notification(session, scope, notification_id, for_update=True)
    live = current_version(session, named)
    if live.id != named.id:
        live = get_notification(session, scope, live.id, for_update=True)
    for version in ([named] if live.id == named.id else [named, live]):
        lifecycle.withdraw(session, version, reason=request.reason, note=request.note, actor=_actor(client), now=now)
    return withdrawal_receipt(session.get(Incident, live.incident_id), [live])


def withdrawal_receipt(incident: Incident, notifications: list[Notification]) -> dict:
    return {
        "incident_id": incident.id,
        "police_reference": incident.police_reference,
        "notifications": [
            {"id": n.id, "child_reference": n.child_reference, "setting_position": n.setting_position,
             "status": n.status, "withdrawn_at": n.withdrawn_at.isoformat() if n.withdrawn_at else None,
             "withdrawal_reason": n.withdrawal_reason}
            for n in notifications
        ],
    }
