"""The outbox's life after enqueue: claiming with a lease, recipients, sent/retry/dead, dead letters and setting webhooks."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.fernet import MultiFernet
from sqlmodel import Session, select

from service.accounts import service as accounts_service
from service.accounts.models import LaMembership, SettingMembership, User
from service.alerts.models import OutboxMessage, SettingWebhook
from service.alerts.notify import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from service.alerts.outbox import CREDENTIAL_TEMPLATES, RESET_REQUEST, SEALED_PREFIX, open_link, seal_link
from service.audit import service as audit_service
from service.audit.service import Actor
from service.config import get_settings, link_as_served
from service.crypto import (
    OUTBOX_LINKS_LABEL,
    WEBHOOK_SECRETS_LABEL,
    SecretUnreadable,
    at_rest_keyring,
    decrypt_secret,
    reencrypt_secret,
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

GROUP_AUDIENCES = ("setting", "setting_deputies", "local_authority")
# Messages the worker settles by making others: a group's one per person, a reset request's one reset email.
RESOLVED_AUDIENCES = (*GROUP_AUDIENCES, RESET_REQUEST)
NO_RECIPIENTS = "no recipients"
WAITING_TEMPLATE = "notification_waiting"


@dataclass(frozen=True)
class ClaimedAlert:
    """An outbox message this worker holds a lease on, detached from any session."""

    id: int
    template: str
    audience: str
    audience_ref: str
    link: str  # as stored: a credential link is still sealed here, and opened only into its EmailDelivery
    notification_id: str | None
    attempts: int  # including this one
    owner_since: datetime | None = None  # a "waiting" alert's owner (OutboxMessage.owner_since)

    @classmethod
    def of(cls, message: OutboxMessage) -> ClaimedAlert:
        return cls(id=message.id, template=message.template, audience=message.audience,
                   audience_ref=message.audience_ref, link=message.link,
                   notification_id=message.notification_id, attempts=message.attempts, owner_since=message.owner_since)


@dataclass(frozen=True)
class EmailDelivery:
    email_address: str
    link: str  # opened: the one a credential link's recipient can use


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
    """Moves a claimed message on, only if this worker still holds its claim.

    A credential link is blanked once its message is sent or dead: nothing left in the outbox can set a password.
    """
    if values.get("state") in ("sent", "dead") and alert.template in CREDENTIAL_TEMPLATES:
        values.setdefault("link", "")
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


WEBHOOK_TYPES = {"notification_withdrawn": "notification.withdrawn"}


def webhook_payload(alert: ClaimedAlert) -> dict:
    """What a setting's system is told: that a notification waits (or was withdrawn), and where. Never anything
    about the child."""
    return {"type": WEBHOOK_TYPES.get(alert.template, "notification.waiting"), "notification_id": alert.notification_id,
            "link": link_as_served(alert.link, get_settings())}


def plan_delivery(session: Session, alert: ClaimedAlert, *, worker_id: str, now: datetime) -> Delivery | None:
    """Where a claimed alert goes. None when it is settled here: a group fanned out, or a dead letter."""
    if alert.audience in GROUP_AUDIENCES:
        _fan_out(session, alert, worker_id=worker_id, now=now)
        return None
    if alert.audience == RESET_REQUEST:
        _issue_reset(session, alert, worker_id=worker_id, now=now)
        return None
    if alert.audience == "user":
        user = session.get(User, int(alert.audience_ref)) if alert.audience_ref.isdigit() else None
        if user is None or not user.is_active:
            _settle(session, alert, worker_id, state="dead", last_error="recipient account is not active")
            return None
        return _email(session, alert, user.email, worker_id=worker_id)
    if alert.audience == "la_team":
        authority = session.get(LocalAuthority, alert.audience_ref)
        if authority is None or not authority.education_team_email:
            _settle(session, alert, worker_id, state="dead", last_error="the LA has no team email address")
            return None
        return _email(session, alert, authority.education_team_email, worker_id=worker_id)
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


def _email(session: Session, alert: ClaimedAlert, email_address: str, *, worker_id: str) -> EmailDelivery | None:
    """The email with its link opened; a link the keys cannot open is a dead letter that keeps its sealed link."""
    try:
        return EmailDelivery(email_address, link_as_served(open_link(alert.link), get_settings()))
    except SecretUnreadable as error:
        # Kept sealed, not blanked: once the operator puts the key back, retrying the dead letter sends it.
        _settle(session, alert, worker_id, state="dead", last_error=str(error)[:300], link=alert.link)
        return None


def _issue_reset(session: Session, alert: ClaimedAlert, *, worker_id: str, now: datetime) -> None:
    """A reset request becomes one reset email, if its account can sign in and had none in the last few minutes.

    The request itself only queued this (service.accounts.service.request_password_reset), so answering it took the
    same work whether or not the email belonged to an account. Nothing here says which it was, and nobody is told.
    """
    if not _settle(session, alert, worker_id, state="sent", sent_at=now, last_error=None):
        return
    user_id = int(alert.audience_ref) if alert.audience_ref.isdigit() else None
    link = accounts_service.issue_password_reset(session, user_id=user_id, now=now) if user_id is not None else None
    if link is not None:
        session.add(OutboxMessage(template=alert.template, audience="user", audience_ref=str(user_id),
                                  link=seal_link(link), next_attempt_at=now, created_at=now))
    session.flush()


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
                                  link=alert.link, notification_id=alert.notification_id, owner_since=alert.owner_since,
                                  next_attempt_at=now, created_at=now))
    session.flush()


# ---------------------------------------------------------------- outcomes


def mark_sent(session: Session, alert: ClaimedAlert, *, worker_id: str, now: datetime, delivered: bool = True,
              provider_id: str | None = None) -> bool:
    """Records a successful send. A webhook's 2xx makes the owner's notification delivered; an email Notify accepted
    makes it `sent`, and its delivery receipt (service.alerts.receipts) later makes it delivered.

    `delivered` is False when the sender only pretended (the logging sender): the alert is settled, but police keep
    seeing "received", because nobody was told.
    """
    if not _settle(session, alert, worker_id, state="sent", sent_at=now, last_error=None,
                   provider_id=provider_id[:36] if isinstance(provider_id, str) else None):
        return False
    if delivered and alert.template == WAITING_TEMPLATE and alert.notification_id:
        if alert.audience == "webhook":
            lifecycle.record_delivery(session, alert.notification_id, now=now, worker_id=worker_id, channel="webhook",
                                      outbox_id=alert.id, for_owner_since=alert.owner_since, sent_after=now)
        else:
            lifecycle.record_send(session, alert.notification_id, now=now, worker_id=worker_id, outbox_id=alert.id,
                                  for_owner_since=alert.owner_since, sent_after=now)
    return True


def defer(session: Session, alert: ClaimedAlert, *, worker_id: str, until: datetime, because: str) -> bool:
    """Puts a claimed alert back, unsent and without spending an attempt, until `until` (Notify's rate limit)."""
    return _settle(session, alert, worker_id, state="pending", next_attempt_at=until, claimed_by=None,
                   attempts=max(0, alert.attempts - 1), last_error=because[:300])


EMAIL_AUDIENCES = ("user", "la_team")


def emails_sent_since(session: Session, moment: datetime) -> int:
    """Emails handed to Notify since `moment`, by every worker: one key, so one shared rate limit."""
    return session.exec(select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at >= moment, OutboxMessage.audience.in_(EMAIL_AUDIENCES))).one()


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
    if link_was_blanked(message):
        raise ValueError(f"outbox message {message_id} was a one-time {message.template.replace('_', ' ')} link, "
                         "removed when it died; send a new invitation or offer, or ask the person to reset their password again")
    audit_service.record(session, actor, "outbox.retried", "outbox_message", str(message.id),
                         template=message.template, audience=message.audience, previous_error=message.last_error,
                         attempts=message.attempts)
    message.state, message.attempts, message.next_attempt_at = "pending", 0, now or utcnow()
    message.claimed_by, message.lease_expires_at, message.last_error = None, None, None
    session.add(message)
    session.flush()
    return message


def link_was_blanked(message: OutboxMessage) -> bool:
    """A dead invitation or reset whose one-time link was removed when it died: sending it again would send no link."""
    return message.template in CREDENTIAL_TEMPLATES and message.audience != RESET_REQUEST and not message.link


def retry_all_dead_letters(session: Session, actor: Actor, *, now: datetime | None = None) -> int:
    """Every dead letter that can be sent again; a one-time link removed when it died stays dead. Returns how many."""
    dead = session.exec(select(OutboxMessage).where(OutboxMessage.state == "dead").order_by(OutboxMessage.id)).all()
    ids = [message.id for message in dead if not link_was_blanked(message)]
    for message_id in ids:
        retry_dead_letter(session, message_id, actor, now=now)
    return len(ids)


def reencrypt_outbox_links(session: Session, *, actor: Actor) -> int:
    """Every sealed link still waiting in the outbox under the newest key (with the webhook and TOTP secrets, so the
    older keys can leave ENCRYPTION_KEYS). Returns how many. Raises SecretUnreadable, changing nothing, as they do."""
    keys = at_rest_keyring(OUTBOX_LINKS_LABEL)
    count = 0
    for message in session.exec(select(OutboxMessage).where(OutboxMessage.link.startswith(SEALED_PREFIX))
                                .order_by(OutboxMessage.id)).all():
        message.link = SEALED_PREFIX + reencrypt_secret(message.link.removeprefix(SEALED_PREFIX), keys)
        session.add(message)
        count += 1
    audit_service.record(session, actor, "outbox.links_reencrypted", "outbox_message", "all", links=count)
    session.flush()
    return count


