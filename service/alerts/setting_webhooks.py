"""A setting's signed webhook: setting it up, rotating its secret (with an overlap), re-encrypting and disabling it."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from cryptography.fernet import MultiFernet
from sqlmodel import Session, select

from service.alerts.models import SettingWebhook
from service.alerts.service import webhook_keys
from service.alerts.webhooks import generate_secret
from service.audit import service as audit_service
from service.audit.service import Actor
from service.crypto import (
    encrypt_secret,
    reencrypt_secret,
)
from service.db import utcnow

WEBHOOK_OVERLAP = timedelta(hours=24)


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
