"""GOV.UK Notify delivery receipts: the callback's bearer token, the receipt's shape, and what each outcome does.

Notify calls back with one JSON object per email once it knows the outcome: `delivered`, `permanent-failure` (the
address does not exist or refuses mail), `temporary-failure` (a full inbox, say) or `technical-failure` (Notify's
own). The email is found by our reference (`outbox-<id>`), and checked against the Notify id we were given; an email
Notify has not accepted (yet) has no receipt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from service.accounts.models import SettingMembership
from service.alerts.models import NotifyCallbackToken, OutboxMessage
from service.alerts.outbox import enqueue_alert, notification_link
from service.audit import service as audit_service
from service.audit.service import Actor

NOT_REACHED_TEMPLATE = "key_adult_not_reached"
REFERENCE_PREFIX = "outbox-"
TOKEN_PREFIX = "oenc_"
MAX_BODY_BYTES = 4 * 1024  # Notify's receipts are a few hundred bytes
RECEIPT_ACTOR = Actor(type="system", id="notify-receipts", source="api")


class DeliveryReceipt(BaseModel):
    """The callback body GOV.UK Notify documents for delivery receipts. Fields it may add later are ignored."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$", description="Notify's id for the email.")
    reference: str | None = Field(default=None, max_length=1000)
    to: str = Field(max_length=320)
    status: Literal["delivered", "permanent-failure", "temporary-failure", "technical-failure"]
    created_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    sent_at: AwareDatetime | None = None
    notification_type: Literal["email", "sms", "letter"]
    template_id: str | None = Field(default=None, max_length=36)
    template_version: int | None = None


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_callback_token(session: Session, *, now: datetime, revoke_others: bool = False) -> str:
    """A new bearer token for Notify's callback settings. Returned once; only its SHA-256 is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if revoke_others:
        for old in session.exec(select(NotifyCallbackToken).where(NotifyCallbackToken.revoked_at.is_(None))):
            old.revoked_at = now
            session.add(old)
    session.add(NotifyCallbackToken(token_sha256=_sha256(token), created_at=now))
    session.flush()
    return token


def callback_token_valid(session: Session, presented: str) -> bool:
    """Compares the presented token's hash with every live one in constant time, whichever matches (or none)."""
    digest = _sha256(presented)
    live = session.exec(select(NotifyCallbackToken.token_sha256).where(NotifyCallbackToken.revoked_at.is_(None))).all()
    matched = False
    for stored in live:
        matched |= hmac.compare_digest(digest, stored)
    return matched


def outbox_id_from_reference(reference: str | None) -> int | None:
    if not reference or not reference.startswith(REFERENCE_PREFIX):
        return None
    number = reference.removeprefix(REFERENCE_PREFIX)
    return int(number) if number.isdigit() and len(number) < 12 else None


def record_receipt(session: Session, receipt: DeliveryReceipt, *, now: datetime) -> str:
    """Records a receipt on its outbox message and acts on it. Returns "recorded", "repeat" or "unknown".

    Notify's statuses are final, so the first one recorded stands: a repeat, or a later different one, changes
    nothing. A delivered "waiting" email makes the notification delivered for police; a permanent failure of a Key
    Adult's address tells the setting's deputies and the LA at once.
    """
    from service.notifications import lifecycle  # lifecycle imports the outbox; this module is below it

    outbox_id = outbox_id_from_reference(receipt.reference)
    message = session.get(OutboxMessage, outbox_id) if outbox_id is not None else None
    if message is None or message.audience not in ("user", "la_team") or receipt.notification_type != "email":
        return "unknown"
    if message.state != "sent":
        # Not (yet) accepted by Notify: never sent, waiting to be tried again, or in flight. A receipt naming it is
        # stale (an id reused after a restore, say); the real one, for the email Notify accepts, must still count.
        return "unknown"
    if message.provider_id is not None and message.provider_id.lower() != receipt.id.lower():
        return "unknown"
    if message.receipt_status is not None:
        return "repeat"
    message.receipt_status, message.receipt_at = receipt.status, now
    message.provider_id = message.provider_id or receipt.id.lower()
    session.add(message)
    session.flush()
    audit_service.record(session, RECEIPT_ACTOR, "outbox.receipt", "outbox_message", str(message.id),
                         status=receipt.status, template=message.template, notification_id=message.notification_id)
    if message.template != "notification_waiting" or message.notification_id is None:
        return "recorded"
    if receipt.status == "delivered":
        lifecycle.record_delivery(session, message.notification_id, now=now, worker_id="notify-receipts",
                                  channel="email", outbox_id=message.id, for_owner_since=message.owner_since,
                                  sent_after=message.sent_at)
    elif receipt.status == "permanent-failure":
        _tell_deputies_and_la(session, message, now=now)
    return "recorded"


def _tell_deputies_and_la(session: Session, message: OutboxMessage, *, now: datetime) -> None:
    """A Key Adult's address refused the "waiting" email: their deputies and the LA are told now, not at the deadline."""
    from service.notifications.models import Notification

    notification = session.get(Notification, message.notification_id)
    if (notification is None or notification.recipient_urn is None or notification.withdrawn_at is not None
            or notification.superseded_by_id is not None or notification.acknowledged_at is not None
            or not message.audience_ref.isdigit()):
        return
    is_key_adult = session.exec(select(SettingMembership.user_id).where(
        SettingMembership.user_id == int(message.audience_ref),
        SettingMembership.urn == notification.recipient_urn)).first() is not None
    if not is_key_adult:
        return
    from service.notifications import lifecycle  # as in record_receipt

    lifecycle.record_not_reached(session, notification.id, now=now, outbox_id=message.id,
                                 for_owner_since=message.owner_since, sent_after=message.sent_at)
    already = session.exec(select(OutboxMessage.id).where(
        OutboxMessage.notification_id == notification.id, OutboxMessage.template == NOT_REACHED_TEMPLATE,
        OutboxMessage.audience == "setting_deputies", OutboxMessage.audience_ref == notification.recipient_urn,
        OutboxMessage.state != "cancelled")).first()
    if already is not None:
        return  # one Key Adult not reached is enough to tell them; a second changes nothing they would do
    enqueue_alert(session, template=NOT_REACHED_TEMPLATE, audience="setting_deputies",
                  audience_ref=notification.recipient_urn, link=notification_link(notification.id),
                  notification_id=notification.id)
    enqueue_alert(session, template=NOT_REACHED_TEMPLATE, audience="local_authority",
                  audience_ref=notification.recipient_la_code or "", link=notification_link(notification.id, for_la=True),
                  notification_id=notification.id)
    audit_service.record(session, RECEIPT_ACTOR, "notification.key_adult_not_reached", "notification", notification.id,
                         urn=notification.recipient_urn, la_code=notification.recipient_la_code, outbox_id=message.id)
    session.flush()
