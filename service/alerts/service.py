"""The outbox's life after enqueue: claiming with a lease, recipients, sent/retry/dead, dead letters and setting webhooks."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
from cryptography.fernet import MultiFernet
from sqlmodel import Session, select

from service.accounts.models import LaMembership, SettingMembership, User
from service.alerts.models import OutboxMessage, SettingWebhook
from service.alerts.notify import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from service.alerts.webhooks import generate_secret
from service.audit import service as audit_service
from service.audit.service import Actor
from service.crypto import (
    WEBHOOK_SECRETS_LABEL, SecretUnreadable, at_rest_keyring, decrypt_secret, encrypt_secret, reencrypt_secret,
)
from service.db import utcnow
from service.localauthorities.models import LocalAuthority
from service.notifications import lifecycle

# Longer than a batch of sends can take (each send times out after 10 s), so a live worker keeps its
# claim; short enough that a crashed worker's alerts go out again within minutes.
LEASE = timedelta(minutes=5)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_LONGEST = timedelta(hours=1)
# A server asking for a longer wait than this is misbehaving; an alert must not sleep for days.
RETRY_AFTER_LONGEST = timedelta(hours=6)
WEBHOOK_OVERLAP = timedelta(hours=24)

GROUP_AUDIENCES = ("setting", "setting_deputies", "local_authority")
NO_RECIPIENTS = "no recipients"
WAITING_TEMPLATE = "notification_waiting"


@dataclass(frozen=True)
class ClaimedAlert:
    """An outbox message this worker holds a lease on, detached from any session."""

    id: int
    template: str
    audience: str
    audience_ref: str
    link: str
    notification_id: str | None
    attempts: int  # including this one

    @classmethod
    def of(cls, message: OutboxMessage) -> ClaimedAlert:
        return cls(id=message.id, template=message.template, audience=message.audience,
                   audience_ref=message.audience_ref, link=message.link,
                   notification_id=message.notification_id, attempts=message.attempts)


@dataclass(frozen=True)
class EmailDelivery:
    email_address: str


@dataclass(frozen=True)
class WebhookDelivery:
    url: str
    secrets: tuple[str, ...]
    msg_id: str  # the same on every retry, so the setting's system can ignore repeats
    payload: dict


Delivery = EmailDelivery | WebhookDelivery


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# ---------------------------------------------------------------- claiming


def _due(now: datetime):
    return sa.or_(
        sa.and_(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now),
        # A claim whose lease ran out belongs to a worker that crashed or hung: take it over.
        sa.and_(OutboxMessage.state == "sending", OutboxMessage.lease_expires_at < now),
    )


def claim_due(session: Session, *, worker_id: str, now: datetime, limit: int = 10,
              lease: timedelta = LEASE) -> list[ClaimedAlert]:
    """Leases up to `limit` due messages to this worker. The caller commits before sending anything.

    On PostgreSQL, rows another worker is claiming are skipped, not waited for. On SQLite there is
    one worker; the UPDATE re-checks that each row is still due, so a second one cannot double-claim.
    """
    candidates = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    if _is_postgresql(session):
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.exec(candidates))
    if not ids:
        return []
    claimed = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _due(now))
        .values(state="sending", claimed_by=worker_id, lease_expires_at=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    if not claimed:
        return []
    messages = session.exec(
        select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return [ClaimedAlert.of(m) for m in messages]


def _settle(session: Session, alert: ClaimedAlert, worker_id: str, **values) -> bool:
    """Moves a claimed message on, only if this worker still holds its claim."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == alert.id, OutboxMessage.state == "sending", OutboxMessage.claimed_by == worker_id)
        .values(lease_expires_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# ---------------------------------------------------------------- recipients


@dataclass(frozen=True)
class Recipient:
    """One person or mailbox a group alert reaches: becomes a "user" or "la_team" message."""

    audience: str
    audience_ref: str
    email_address: str


def group_recipients(session: Session, *, audience: str, audience_ref: str) -> list[Recipient]:
    """Who a group alert reaches now: resolved at send time, so today's staff are told, not last week's."""
    if audience == "setting":
        return _setting_members(session, audience_ref, roles=("key_adult", "deputy"))
    if audience == "setting_deputies":
        # A setting with no deputy still needs someone chased: the Key Adults get the reminder.
        return (_setting_members(session, audience_ref, roles=("deputy",))
                or _setting_members(session, audience_ref, roles=("key_adult",)))
    if audience == "local_authority":
        recipients = []
        authority = session.get(LocalAuthority, audience_ref) if audience_ref else None
        if authority is not None and authority.education_team_email:
            recipients.append(Recipient("la_team", authority.code, authority.education_team_email))
        officers = session.exec(
            select(User).join(LaMembership, LaMembership.user_id == User.id)
            .where(LaMembership.la_code == audience_ref, User.is_active).order_by(User.id)
        )
        recipients += [Recipient("user", str(user.id), user.email) for user in officers]
        return _one_per_address(recipients)
    raise ValueError(f"{audience!r} is not a group audience")


def _setting_members(session: Session, urn: str, *, roles: Sequence[str]) -> list[Recipient]:
    users = session.exec(
        select(User).join(SettingMembership, SettingMembership.user_id == User.id)
        .where(SettingMembership.urn == urn, SettingMembership.role.in_(roles), User.is_active).order_by(User.id)
    )
    return _one_per_address([Recipient("user", str(user.id), user.email) for user in users])


def _one_per_address(recipients: list[Recipient]) -> list[Recipient]:
    seen, unique = set(), []
    for recipient in recipients:
        address = recipient.email_address.strip().casefold()
        if address not in seen:
            seen.add(address)
            unique.append(recipient)
    return unique


def webhook_keys() -> MultiFernet:
    """The keys webhook signing secrets are encrypted with at rest, from ENCRYPTION_KEYS or else SECRET_KEY."""
    return at_rest_keyring(WEBHOOK_SECRETS_LABEL)


def signing_secrets(secrets: Sequence[dict], now: datetime, *, keys: MultiFernet) -> list[str]:
    """The secrets a webhook is signed with now: the current one, and a previous one still in its overlap.

    Raises SecretUnreadable when the keys cannot decrypt one.
    """
    return [
        decrypt_secret(entry["secret_encrypted"], keys) for entry in secrets
        if entry.get("expires_at") is None or datetime.fromisoformat(entry["expires_at"]) > now
    ]


def webhook_payload(alert: ClaimedAlert) -> dict:
    """What a setting's system is told: that a notification waits, and where. Never anything about the child."""
    return {"type": "notification.waiting", "notification_id": alert.notification_id, "link": alert.link}


def plan_delivery(session: Session, alert: ClaimedAlert, *, worker_id: str, now: datetime) -> Delivery | None:
    """Where a claimed alert goes. None when it is settled here: a group fanned out, or a dead letter."""
    if alert.audience in GROUP_AUDIENCES:
        _fan_out(session, alert, worker_id=worker_id, now=now)
        return None
    if alert.audience == "user":
        user = session.get(User, int(alert.audience_ref)) if alert.audience_ref.isdigit() else None
        if user is None or not user.is_active:
            _settle(session, alert, worker_id, state="dead", last_error="recipient account is not active")
            return None
        return EmailDelivery(user.email)
    if alert.audience == "la_team":
        authority = session.get(LocalAuthority, alert.audience_ref)
        if authority is None or not authority.education_team_email:
            _settle(session, alert, worker_id, state="dead", last_error="the LA has no team email address")
            return None
        return EmailDelivery(authority.education_team_email)
    if alert.audience == "webhook":
        hook = session.get(SettingWebhook, alert.audience_ref)
        try:
            secrets = signing_secrets(hook.secrets, now, keys=webhook_keys()) if hook is not None and hook.active else []
        except SecretUnreadable as error:
            # A key problem is the operator's to fix; once it is, they retry the dead letters and nothing is lost.
            _settle(session, alert, worker_id, state="dead", last_error=str(error)[:300])
            return None
        if not secrets:
            _settle(session, alert, worker_id, state="dead", last_error="the setting has no active webhook")
            return None
        return WebhookDelivery(url=hook.url, secrets=tuple(secrets), msg_id=f"msg_{alert.id}", payload=webhook_payload(alert))
    _settle(session, alert, worker_id, state="dead", last_error=f"unknown audience {alert.audience[:20]}")
    return None


def _fan_out(session: Session, alert: ClaimedAlert, *, worker_id: str, now: datetime) -> None:
    """One message per recipient, so a bad address is dead-lettered alone and nobody is emailed twice on a retry."""
    recipients = group_recipients(session, audience=alert.audience, audience_ref=alert.audience_ref)
    if not recipients:
        # Nothing is lost: an admin sees the dead letter, adds someone, and retries it.
        _settle(session, alert, worker_id, state="dead", last_error=NO_RECIPIENTS)
        return
    if not _settle(session, alert, worker_id, state="sent", sent_at=now, last_error=None):
        return
    for recipient in recipients:
        session.add(OutboxMessage(template=alert.template, audience=recipient.audience, audience_ref=recipient.audience_ref,
                                  link=alert.link, notification_id=alert.notification_id, next_attempt_at=now, created_at=now))
    session.flush()


# ---------------------------------------------------------------- outcomes


def mark_sent(session: Session, alert: ClaimedAlert, *, worker_id: str, now: datetime) -> bool:
    """Records a successful send; the first one telling a notification's owner makes it delivered."""
    if not _settle(session, alert, worker_id, state="sent", sent_at=now, last_error=None):
        return False
    if alert.template == WAITING_TEMPLATE and alert.notification_id:
        lifecycle.record_delivery(session, alert.notification_id, now=now, worker_id=worker_id,
                        channel="webhook" if alert.audience == "webhook" else "email", outbox_id=alert.id)
    return True


def retry_delay(attempts: int, *, retry_after: float | None = None, rng: Callable[[], float] = random.random) -> timedelta:
    """How long to wait before attempt `attempts + 1`: doubling from 30 s to an hour, with jitter.

    The jitter keeps many alerts that failed together (Notify down) from all retrying in the same second.
    A server's Retry-After is a floor, never shortened.
    """
    ceiling = min(BACKOFF_LONGEST, BACKOFF_FIRST * (2 ** max(0, attempts - 1)))
    delay = ceiling / 2 + (ceiling / 2) * rng()
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), RETRY_AFTER_LONGEST))
    return delay


def mark_failed(session: Session, alert: ClaimedAlert, error: Exception, *, worker_id: str, now: datetime,
                max_attempts: int, rng: Callable[[], float] = random.random) -> str:
    """Retry later, or dead-letter: at once for a permanent failure, else after max_attempts. Returns the new state."""
    # DeliveryError messages never carry addresses; anything else is named by its type only.
    reason = str(error) if isinstance(error, DeliveryError) else f"unexpected {type(error).__name__}"
    if isinstance(error, PermanentDeliveryError) or alert.attempts >= max_attempts:
        state, values = "dead", {}
        if not isinstance(error, PermanentDeliveryError):
            reason = f"gave up after {alert.attempts} attempts: {reason}"
    else:
        retry_after = error.retry_after if isinstance(error, TemporaryDeliveryError) else None
        state, values = "pending", {"next_attempt_at": now + retry_delay(alert.attempts, retry_after=retry_after, rng=rng)}
    if not _settle(session, alert, worker_id, state=state, last_error=reason[:300], **values):
        return "lost"
    return state


# ---------------------------------------------------------------- dead letters


def list_messages(session: Session, *, state: str, limit: int = 200) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.state == state).order_by(OutboxMessage.id).limit(limit)))


def list_dead_letters(session: Session, *, limit: int = 200) -> list[OutboxMessage]:
    """Alerts nobody received, oldest first, for an admin to put right and retry."""
    return list_messages(session, state="dead", limit=limit)


def retry_dead_letter(session: Session, message_id: int, actor: Actor, *, now: datetime | None = None) -> OutboxMessage:
    """Sends a dead letter again from scratch (fresh attempts). Audited. Raises ValueError if it is not dead."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise ValueError(f"there is no outbox message {message_id}")
    if message.state != "dead":
        raise ValueError(f"outbox message {message_id} is {message.state}, not dead; only dead letters can be retried")
    audit_service.record(session, actor, "outbox.retried", "outbox_message", str(message.id),
                         template=message.template, audience=message.audience, previous_error=message.last_error,
                         attempts=message.attempts)
    message.state, message.attempts, message.next_attempt_at = "pending", 0, now or utcnow()
    message.claimed_by, message.lease_expires_at, message.last_error = None, None, None
    session.add(message)
    session.flush()
    return message


def retry_all_dead_letters(session: Session, actor: Actor, *, now: datetime | None = None) -> int:
    ids = list(session.exec(select(OutboxMessage.id).where(OutboxMessage.state == "dead").order_by(OutboxMessage.id)))
    for message_id in ids:
        retry_dead_letter(session, message_id, actor, now=now)
    return len(ids)


# ---------------------------------------------------------------- setting webhooks


def _require_https(url: str) -> str:
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise ValueError("the webhook URL is not a valid URL") from None
    if parsed.scheme != "https" or not parsed.host:
        raise ValueError("the webhook URL must be an https:// address with a host name")
    if len(url) > 500:
        raise ValueError("the webhook URL must be at most 500 characters")
    return url


def active_webhook(session: Session, urn: str) -> SettingWebhook | None:
    hook = session.get(SettingWebhook, urn)
    return hook if hook is not None and hook.active else None


def set_webhook(session: Session, *, urn: str, url: str, actor: Actor, now: datetime | None = None) -> str:
    """Creates or replaces a setting's webhook with a fresh secret; returns the secret, to be shown once."""
    from service.register.models import Setting

    url = _require_https(url)
    if session.get(Setting, urn) is None:
        raise ValueError(f"there is no setting with URN {urn} in the register")
    now = now or utcnow()
    secret = generate_secret()
    hook = session.get(SettingWebhook, urn) or SettingWebhook(urn=urn, url=url, created_at=now)
    hook.url, hook.active, hook.updated_at = url, True, now
    # Encrypted at rest: signing needs the secret itself, so it cannot be hashed, but a dump must not reveal it.
    hook.secrets = [{"secret_encrypted": encrypt_secret(secret, webhook_keys()), "expires_at": None}]
    session.add(hook)
    # The host only: a webhook path or query often holds the receiver's own token.
    audit_service.record(session, actor, "webhook.set", "setting", urn, host=httpx.URL(url).host)
    session.flush()
    return secret


def rotate_webhook_secret(session: Session, *, urn: str, actor: Actor, now: datetime | None = None,
                          overlap: timedelta = WEBHOOK_OVERLAP) -> str:
    """A new current secret; the old one keeps signing for `overlap`. Returns the new secret, to be shown once."""
    hook = session.get(SettingWebhook, urn)
    if hook is None:
        raise ValueError(f"setting {urn} has no webhook; set one first")
    now = now or utcnow()
    secret = generate_secret()
    still_valid = [
        {"secret_encrypted": entry["secret_encrypted"], "expires_at": entry.get("expires_at") or (now + overlap).isoformat()}
        for entry in hook.secrets
        if entry.get("expires_at") is None or datetime.fromisoformat(entry["expires_at"]) > now
    ]
    hook.secrets = [{"secret_encrypted": encrypt_secret(secret, webhook_keys()), "expires_at": None}, *still_valid]
    hook.updated_at = now
    session.add(hook)
    audit_service.record(session, actor, "webhook.rotated", "setting", urn, overlap_hours=overlap.total_seconds() / 3600)
    session.flush()
    return secret


def reencrypt_webhook_secrets(session: Session, *, actor: Actor, keys: MultiFernet | None = None) -> int:
    """Every stored webhook secret under the newest key, so older keys can leave ENCRYPTION_KEYS. Returns how many.

    Raises SecretUnreadable, changing nothing, when a secret was encrypted with a key no longer configured.
    """
    keys = webhook_keys() if keys is None else keys
    count = 0
    for hook in session.exec(select(SettingWebhook).order_by(SettingWebhook.urn)).all():
        hook.secrets = [{**entry, "secret_encrypted": reencrypt_secret(entry["secret_encrypted"], keys)}
                        for entry in hook.secrets]
        session.add(hook)
        count += len(hook.secrets)
    audit_service.record(session, actor, "webhook.secrets_reencrypted", "setting_webhook", "all", secrets=count)
    session.flush()
    return count


def disable_webhook(session: Session, *, urn: str, actor: Actor, now: datetime | None = None) -> None:
    hook = session.get(SettingWebhook, urn)
    if hook is None:
        raise ValueError(f"setting {urn} has no webhook")
    hook.active, hook.updated_at = False, now or utcnow()
    session.add(hook)
    audit_service.record(session, actor, "webhook.disabled", "setting", urn)
    session.flush()
