"""The LA's "not reached" list: Key Adults whose "notification waiting" email GOV.UK Notify could not deliver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from service.accounts.models import User
from service.alerts.models import OutboxMessage
from service.laworkspace.officer import Officer
from service.notifications.models import Notification
from service.notifications.scope import scoped_notifications
from service.register.models import Setting

LIMIT = 200


@dataclass(frozen=True)
class NotReached:
    """One Key Adult's address that refused the email about one notification, and whether anyone has it in hand."""

    notification_id: str
    urn: str
    setting_name: str
    email_address: str
    failed_at: datetime
    acknowledged: bool


def not_reached(session: Session, officer: Officer, *, limit: int = LIMIT) -> list[NotReached]:
    """Newest first: open, current notifications in the officer's area whose owner's Key Adult was not reached."""
    query = (
        scoped_notifications(officer.scope)
        .join(OutboxMessage, OutboxMessage.notification_id == Notification.id)
        .where(OutboxMessage.receipt_status == "permanent-failure", OutboxMessage.audience == "user",
               OutboxMessage.template == "notification_waiting", Notification.superseded_by_id.is_(None),
               Notification.closed_at.is_(None), Notification.recipient_urn.is_not(None))
        .add_columns(OutboxMessage.audience_ref, OutboxMessage.receipt_at)
        .order_by(OutboxMessage.receipt_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    rows = [(row[0], row[-2], row[-1]) for row in session.execute(query).all()]  # (Notification, user ref, when)
    user_ids = {int(ref) for _, ref, _ in rows if ref.isdigit()}
    emails = dict(session.exec(select(User.id, User.email).where(User.id.in_(sorted(user_ids)))).all()) if user_ids else {}
    urns = {n.recipient_urn for n, _, _ in rows}
    names = dict(session.exec(select(Setting.urn, Setting.name).where(Setting.urn.in_(sorted(urns)))).all()) if urns else {}
    return [
        NotReached(notification_id=n.id, urn=n.recipient_urn, setting_name=names.get(n.recipient_urn, f"Setting {n.recipient_urn}"),
                   email_address=emails.get(int(ref), "an account no longer here") if ref.isdigit() else "unknown",
                   failed_at=failed_at, acknowledged=n.acknowledged_at is not None)
        for n, ref, failed_at in rows
    ]
