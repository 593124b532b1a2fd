"""Putting alerts in the outbox, inside the caller's transaction, so a change and its alert commit together."""

from collections.abc import Container, Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.alerts.models import OutboxMessage, SettingWebhook
from service.config import get_settings
from service.crypto import OUTBOX_LINKS_LABEL, at_rest_keyring, decrypt_secret, encrypt_secret
from service.db import execute_core

# Templates whose link carries a one-time token (account_token): setting a password, or taking up an offered role.
# Such a link is a credential: it is stored sealed (encrypted with the at-rest keys), opened only to send it, and
# blanked once the message is sent or dead.
CREDENTIAL_TEMPLATES = frozenset({"invitation", "password_reset", "membership_offer"})
SEALED_PREFIX = "sealed:"
# A password reset someone asked for, queued as it is (service.accounts.service.request_password_reset): the worker
# issues the link, so the request does the same work whether or not the address has an account.
RESET_REQUEST = "reset_request"


def notification_link(notification_id: str, *, for_la: bool = False) -> str:
    base = get_settings().base_url.rstrip("/")
    return f"{base}/la/notifications/{notification_id}" if for_la else f"{base}/notifications/{notification_id}"


def seal_link(link: str) -> str:
    """A credential link as the outbox stores it: encrypted, so a dump, a backup or an admin's screen cannot use it."""
    return SEALED_PREFIX + encrypt_secret(link, at_rest_keyring(OUTBOX_LINKS_LABEL))


def open_link(stored: str) -> str:
    """The link to send. Raises SecretUnreadable when a sealed one was sealed with a key no longer configured."""
    if stored.startswith(SEALED_PREFIX):
        return decrypt_secret(stored.removeprefix(SEALED_PREFIX), at_rest_keyring(OUTBOX_LINKS_LABEL))
    return stored


def stored_link(template: str, link: str) -> str:
    """What the outbox keeps for a message's link: sealed for the templates whose link is a credential."""
    return seal_link(link) if link and template in CREDENTIAL_TEMPLATES else link


def enqueue_alert(session: Session, *, template: str, audience: str, audience_ref: str, link: str, notification_id: str | None = None,
                  owner_since: datetime | None = None) -> OutboxMessage:
    message = OutboxMessage(**outbox_row(template=template, audience=audience, audience_ref=audience_ref, link=link,
                                         notification_id=notification_id, owner_since=owner_since))
    session.add(message)
    return message


_WEBHOOK = SettingWebhook.__table__.c
# The settings among :urns with an active webhook (public so intake can ask it with the Key Adult question).
ACTIVE_WEBHOOK_URNS = sa.select(_WEBHOOK.urn).where(_WEBHOOK.urn.in_(sa.bindparam("urns", expanding=True)), _WEBHOOK.active)


def webhook_urns(session: Session, urns: Iterable[str]) -> set[str]:
    """Which of these settings have an active webhook, in one query (intake asks for all of an incident's at once)."""
    wanted = sorted(set(urns))
    if not wanted:
        return set()
    return set(execute_core(session, ACTIVE_WEBHOOK_URNS, {"urns": wanted}).scalars())


def enqueue_notification_waiting(session: Session, *, notification_id: str, recipient_urn: str | None, recipient_la_code: str | None,
                                 owner_since: datetime, with_webhook: Container[str] | None = None,
                                 la_holiday_cover: bool = False) -> None:
    """The first alert for a new or re-routed notification: to the setting, or to the LA team (see waiting_alerts).

    `with_webhook` is the settings known to have an active webhook (from webhook_urns); without it, this one is looked up.
    """
    if with_webhook is None:
        with_webhook = webhook_urns(session, [recipient_urn] if recipient_urn else [])
    for alert in waiting_alerts(notification_id=notification_id, recipient_urn=recipient_urn,
                                recipient_la_code=recipient_la_code, owner_since=owner_since, with_webhook=with_webhook,
                                la_holiday_cover=la_holiday_cover):
        enqueue_alert(session, **alert)


def waiting_alerts(*, notification_id: str, recipient_urn: str | None, recipient_la_code: str | None,
                   owner_since: datetime, with_webhook: Container[str], la_holiday_cover: bool = False) -> list[dict]:
    """The "notification waiting" alerts for a new owner, as outbox columns (pure): the setting, and its webhook if it
    has one, or the LA team. With `la_holiday_cover` the setting is closed for the holiday: it is still told, for when
    it reopens, and the LA's team is told as well, because the deadline is theirs. Each carries `owner_since`, the
    start of the owner's period it is for."""
    def alert(audience: str, audience_ref: str, *, for_la: bool = False) -> dict:
        return {"template": "notification_waiting", "audience": audience, "audience_ref": audience_ref,
                "link": notification_link(notification_id, for_la=for_la), "notification_id": notification_id,
                "owner_since": owner_since}

    alerts = []
    if recipient_urn and la_holiday_cover and recipient_la_code:
        alerts.append(alert("local_authority", recipient_la_code, for_la=True))
    if recipient_urn:
        alerts.append(alert("setting", recipient_urn))
        if recipient_urn in with_webhook:
            alerts.append(alert("webhook", recipient_urn))
    elif recipient_la_code:
        alerts.append(alert("local_authority", recipient_la_code, for_la=True))
    return alerts


def outbox_row(*, template: str, audience: str, audience_ref: str, link: str, notification_id: str | None = None,
               owner_since: datetime | None = None) -> dict:
    """An alert as an outbox row for insert_rows, its link stored as enqueue_alert stores it."""
    return {"template": template, "audience": audience, "audience_ref": audience_ref,
            "link": stored_link(template, link), "notification_id": notification_id, "owner_since": owner_since}


def cancel_waiting_alerts(session: Session, notification_id: str, *, now, because: str = "handed over before it was sent",
                          every_template: bool = False) -> None:
    """A notification changed owner: the old owner's unsent "waiting" and deadline alerts are cancelled, so nobody
    there is sent a link they can no longer open, and no later send records a delivery the new owner never had.

    With `every_template` (a police withdrawal) every unsent alert about it goes, escalations and "not reached" too."""
    templates = OutboxMessage.template != WITHDRAWN_TEMPLATE if every_template else OutboxMessage.template.in_(
        ("notification_waiting", "deadline_missed_deputies"))
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.notification_id == notification_id, OutboxMessage.state == "pending", templates)
        .values(state="cancelled", last_error=because, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


WITHDRAWN_TEMPLATE = "notification_withdrawn"


def owner_was_alerted(session: Session, notification_id: str, *, since) -> bool:
    """Whether a "waiting" alert about this notification went out to its current owner (sent at or after `since`)."""
    return session.exec(select(OutboxMessage.id).where(
        OutboxMessage.notification_id == notification_id, OutboxMessage.template == "notification_waiting",
        OutboxMessage.state == "sent", OutboxMessage.sent_at >= since).limit(1)).first() is not None


def enqueue_withdrawn(session: Session, *, notification_id: str, recipient_urn: str | None,
                      recipient_la_code: str | None) -> None:
    """Tells the owner police withdrew a notification: only that, and a link that now says so. Their webhook too."""
    if recipient_urn:
        enqueue_alert(session, template=WITHDRAWN_TEMPLATE, audience="setting", audience_ref=recipient_urn,
                      link=notification_link(notification_id), notification_id=notification_id)
        if recipient_urn in webhook_urns(session, [recipient_urn]):
            enqueue_alert(session, template=WITHDRAWN_TEMPLATE, audience="webhook", audience_ref=recipient_urn,
                          link=notification_link(notification_id), notification_id=notification_id)
    elif recipient_la_code:
        enqueue_alert(session, template=WITHDRAWN_TEMPLATE, audience="local_authority", audience_ref=recipient_la_code,
                      link=notification_link(notification_id, for_la=True), notification_id=notification_id)
