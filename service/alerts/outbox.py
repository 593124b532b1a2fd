"""Putting alerts in the outbox, inside the caller's transaction, so a change and its alert commit together."""

from collections.abc import Container, Iterable

from sqlmodel import Session, select

from service.alerts.models import OutboxMessage, SettingWebhook
from service.config import get_settings


def notification_link(notification_id: str, *, for_la: bool = False) -> str:
    base = get_settings().base_url.rstrip("/")
    return f"{base}/la/notifications/{notification_id}" if for_la else f"{base}/notifications/{notification_id}"


def enqueue_alert(session: Session, *, template: str, audience: str, audience_ref: str, link: str, notification_id: str | None = None) -> OutboxMessage:
    message = OutboxMessage(template=template, audience=audience, audience_ref=audience_ref, link=link, notification_id=notification_id)
    session.add(message)
    return message


def webhook_urns(session: Session, urns: Iterable[str]) -> set[str]:
    """Which of these settings have an active webhook, in one query (intake asks for all of an incident's at once)."""
    wanted = set(urns)
    if not wanted:
        return set()
    return set(session.exec(select(SettingWebhook.urn).where(SettingWebhook.urn.in_(wanted), SettingWebhook.active)))


def enqueue_notification_waiting(session: Session, *, notification_id: str, recipient_urn: str | None, recipient_la_code: str | None,
                                 with_webhook: Container[str] | None = None, la_holiday_cover: bool = False) -> None:
    """The first alert for a new or re-routed notification: to the setting, or to the LA team.

    `with_webhook` is the settings known to have an active webhook (from webhook_urns); without it, this one is looked up.
    With `la_holiday_cover` the setting is closed for the holiday: it is still told, for when it reopens, and the
    LA's team is told as well, because the deadline is theirs.
    """
    if recipient_urn and la_holiday_cover and recipient_la_code:
        enqueue_alert(session, template="notification_waiting", audience="local_authority", audience_ref=recipient_la_code,
                      link=notification_link(notification_id, for_la=True), notification_id=notification_id)
    if recipient_urn:
        enqueue_alert(session, template="notification_waiting", audience="setting", audience_ref=recipient_urn,
                      link=notification_link(notification_id), notification_id=notification_id)
        if with_webhook is None:
            with_webhook = webhook_urns(session, [recipient_urn])
        if recipient_urn in with_webhook:
            enqueue_alert(session, template="notification_waiting", audience="webhook", audience_ref=recipient_urn,
                          link=notification_link(notification_id), notification_id=notification_id)
    elif recipient_la_code:
        enqueue_alert(session, template="notification_waiting", audience="local_authority", audience_ref=recipient_la_code,
                      link=notification_link(notification_id, for_la=True), notification_id=notification_id)
