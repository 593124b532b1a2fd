"""Account rules: signing in with a password then a code, one-time links for invitations and resets, and user administration."""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from cryptography.fernet import MultiFernet
from sqlalchemy import func
from sqlmodel import Session, col, select

from service.accounts import sessions, throttle, totp
from service.accounts.models import (
    AccountToken,
    PortalSession,
    User,
)
from service.accounts.onboarded import hand_over_if_onboarded
from service.accounts.passwords import hash_password, password_problem, verify_password
from service.alerts.outbox import RESET_REQUEST, enqueue_alert
from service.audit import service as audit_service
from service.audit.service import Actor
from service.config import get_settings
from service.crypto import (
    TOTP_SECRETS_LABEL,
    SecretUnreadable,
    at_rest_keyring,
    decrypt_secret,
    encrypt_secret,
    reencrypt_secret,
)

INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=2)
# One reset email per few minutes is enough for a person; more would let anyone flood a colleague's inbox.
RESET_EMAIL_INTERVAL = timedelta(minutes=5)
MAX_CODE_FAILURES = 5
NOBODY = Actor(type="anonymous", id="-", source="portal")
LANDING_PATHS = {"setting_staff": "/notifications", "la_officer": "/la", "admin": "/admin", "police_staff": "/police"}
log = logging.getLogger(__name__)


def portal_actor(user_id: int) -> Actor:
    return Actor(type="user", id=str(user_id), source="portal")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    email = normalise_email(email)
    if not email:
        return None
    return session.exec(select(User).where(func.lower(User.email) == email)).first()


def landing_path(user: User) -> str:
    return LANDING_PATHS.get(user.kind, "/")


# --- TOTP secrets at rest ----------------------------------------------------------------------------------------
# Stored encrypted, so a database dump or backup cannot mint codes; every read goes through totp_secret_of or
# pending_totp_secret_of, every write through sealed_totp_secret.


def totp_keys() -> MultiFernet:
    return at_rest_keyring(TOTP_SECRETS_LABEL)


def sealed_totp_secret(secret: str) -> str:
    """A TOTP secret as it is stored: encrypted with the first key in ENCRYPTION_KEYS (or SECRET_KEY)."""
    return encrypt_secret(secret, totp_keys())


def totp_secret_of(user: User) -> str | None:
    """The user's confirmed TOTP secret, or None before set-up. Raises SecretUnreadable when no configured key opens it."""
    return None if user.totp_secret is None else decrypt_secret(user.totp_secret, totp_keys())


def pending_totp_secret_of(row: PortalSession) -> str | None:
    """The secret offered on the set-up page and not yet confirmed. Raises SecretUnreadable like totp_secret_of."""
    return None if row.pending_totp_secret is None else decrypt_secret(row.pending_totp_secret, totp_keys())


class SignInUnavailable(Exception):
    """A user's TOTP secret cannot be decrypted: nobody can sign in with it until the operator restores the key."""


def _unreadable_secret(session: Session, user: User) -> SignInUnavailable:
    # The id only: no email, and never the token or the secret.
    log.error("User %s cannot sign in until the encryption key is fixed: %s", user.id, SecretUnreadable())
    audit_service.record(session, portal_actor(user.id), "sign_in.failed", "user_account", user.id,
                         step="two_factor", reason="secret_unreadable")
    return SignInUnavailable()


def reencrypt_totp_secrets(session: Session, *, actor: Actor, keys: MultiFernet | None = None) -> int:
    """Every stored TOTP secret (confirmed or pending) under the newest key, so older keys can leave ENCRYPTION_KEYS.

    Returns how many. Raises SecretUnreadable when one was encrypted with a key no longer configured; the caller's
    transaction then rolls back, changing nothing.
    """
    keys = totp_keys() if keys is None else keys
    count = 0
    for user in session.exec(select(User).where(col(User.totp_secret).is_not(None)).order_by(User.id)):
        user.totp_secret = reencrypt_secret(user.totp_secret, keys)
        session.add(user)
        count += 1
    for row in session.exec(select(PortalSession).where(col(PortalSession.pending_totp_secret).is_not(None))):
        row.pending_totp_secret = reencrypt_secret(row.pending_totp_secret, keys)
        session.add(row)
        count += 1
    audit_service.record(session, actor, "two_factor.secrets_reencrypted", "user_account", "all", secrets=count)
    session.flush()
    return count


# --- Signing in --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInStep:
    """What happened at one step of signing in, and where the browser goes next."""

    outcome: Literal["accepted", "wrong", "throttled", "ended"]
    session_token: str | None = None  # a new cookie value when the session moved on
    next_path: str | None = None
    retry_after: int = 0


def sign_in_with_password(session: Session, *, email: str, password: str, address: str, now: datetime,
                          previous_token: str | None = None, next_path: str | None = None) -> SignInStep:
    keys = throttle.password_keys(email, address)
    wait = throttle.seconds_to_wait(session, keys, now)
    if wait:
        return SignInStep("throttled", retry_after=wait)
    user = find_user(session, email)
    usable = user is not None and user.is_active
    # verify_password spends the same time with no hash, so an unknown email is not revealed by a quicker answer.
    if not verify_password(password, user.password_hash if usable else None):
        throttle.note_failure(session, keys, now)
        if user is None:
            audit_service.record(session, NOBODY, "sign_in.failed", "user_account", "unknown", step="password")
        else:
            audit_service.record(session, portal_actor(user.id), "sign_in.failed", "user_account", user.id,
                                 step="password", reason="password" if user.is_active else "deactivated")
        return SignInStep("wrong")
    # Password keys only: the account's count of wrong codes stays, so a correct password buys no more guesses at the code.
    throttle.forget_after_success(session, keys)
    _end_previous(session, previous_token)
    stage = "two_factor" if user.totp_secret else "set_up_two_factor"
    token, row = sessions.start(session, user_id=user.id, stage=stage, now=now, next_path=next_path)
    if stage == "set_up_two_factor":
        row.pending_totp_secret = sealed_totp_secret(totp.new_secret())
    audit_service.record(session, portal_actor(user.id), "sign_in.password_accepted", "user_account", user.id)
    return SignInStep("accepted", session_token=token, next_path=_stage_path(stage))


def confirm_code(session: Session, *, row: PortalSession, code: str, address: str, now: datetime) -> SignInStep:
    """The second step: the code from the app, checking the new secret while setting up or the saved one after.

    Raises SignInUnavailable (logged and audited) when the secret cannot be decrypted with the configured keys.
    """
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        sessions.end(session, row)
        return SignInStep("ended")
    keys = throttle.code_keys(user.id, user.email, address)
    wait = throttle.seconds_to_wait(session, keys, now)
    if wait:
        return SignInStep("throttled", retry_after=wait)
    setting_up = row.stage == "set_up_two_factor"
    try:
        secret = pending_totp_secret_of(row) if setting_up else totp_secret_of(user)
    except SecretUnreadable:
        raise _unreadable_secret(session, user) from None
    step = totp.matching_step(secret, code, now, last_used_step=None if setting_up else user.totp_last_step)
    if step is None:
        row.two_factor_failures += 1
        throttle.note_failure(session, keys, now)
        audit_service.record(session, portal_actor(user.id), "sign_in.two_factor_failed", "user_account", user.id,
                             setting_up=setting_up)
        if row.two_factor_failures >= MAX_CODE_FAILURES:
            # Start again from the password: a guesser gets few codes per password check, which is itself throttled.
            sessions.end(session, row)
            return SignInStep("ended")
        session.add(row)
        return SignInStep("wrong")
    if setting_up:
        user.totp_secret = sealed_totp_secret(secret)
        audit_service.record(session, portal_actor(user.id), "two_factor.set_up", "user_account", user.id)
    user.totp_last_step = step
    user.last_sign_in_at = now
    session.add(user)
    throttle.forget_after_success(session, keys)
    token, fresh = sessions.rotate(session, row, stage="signed_in", now=now)
    audit_service.record(session, portal_actor(user.id), "sign_in.succeeded", "user_account", user.id)
    return SignInStep("accepted", session_token=token, next_path=fresh.next_path or landing_path(user))


def unfinished_session(session: Session, token: str | None, *, stage: str, now: datetime) -> PortalSession | None:
    """The half-signed-in session for the code pages, if it is at that stage and not stale."""
    row = sessions.find(session, token)
    if row is None or row.stage != stage or sessions.expiry_reason(row, now, sessions.limits_from_settings()):
        return None
    return row


# What a browser's Sec-Fetch-Site says about a GET that may sign out: our own page, or an address typed or bookmarked.
SIGN_OUT_FETCH_SITES = frozenset({"same-origin", "none"})


def sign_out_needs_confirming(fetch_site: str | None) -> bool:
    """Whether a GET to sign out may have come from another site (an image or link there), so the user must confirm it.

    No Sec-Fetch-Site asks too: SameSite=Lax still sends the cookie on a top-level link from another site, and every
    current browser sends the header, so only an old browser or a script is asked to press the button.
    """
    return fetch_site is None or fetch_site.strip().lower() not in SIGN_OUT_FETCH_SITES


def sign_out(session: Session, *, token: str | None) -> None:
    row = sessions.find(session, token)
    if row is not None:
        audit_service.record(session, portal_actor(row.user_id), "sign_out", "user_account", row.user_id)
        sessions.end(session, row)


def end_stale_session(session: Session, *, token: str | None, now: datetime) -> str | None:
    """Ends a session that timed out (or whose user was deactivated), recording why; None if it is still live."""
    row = sessions.find(session, token)
    if row is None:
        return None
    reason = sessions.expiry_reason(row, now, sessions.limits_from_settings())
    user = session.get(User, row.user_id)
    if reason is None and user is not None and user.is_active:
        return None
    reason = reason or "deactivated"
    audit_service.record(session, portal_actor(row.user_id), "session.timed_out" if reason != "deactivated" else "session.ended",
                         "user_account", row.user_id, reason=reason)
    sessions.end(session, row)
    return reason


def two_factor_set_up_details(session: Session, row: PortalSession) -> tuple[str, str, str]:
    """The secret to type, grouped, the QR code as inline SVG, and the otpauth:// link that opens an authenticator app
    on the same phone, for the set-up page. Raises SignInUnavailable."""
    user = session.get(User, row.user_id)
    try:
        secret = pending_totp_secret_of(row)
    except SecretUnreadable:
        raise _unreadable_secret(session, user) from None
    uri = totp.provisioning_uri(secret, user.email)
    return totp.grouped(secret), totp.qr_code_svg(uri), uri


def _end_previous(session: Session, token: str | None) -> None:
    row = sessions.find(session, token)
    if row is not None:
        sessions.end(session, row)


def _stage_path(stage: str) -> str:
    return "/sign-in/set-up-two-factor" if stage == "set_up_two_factor" else "/sign-in/two-factor"


# --- One-time links ----------------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_unused_links(session: Session, *, user_id: int, purpose: str, now: datetime) -> None:
    """The person's unused links of this purpose stop working."""
    for old in session.exec(select(AccountToken).where(AccountToken.user_id == user_id, AccountToken.purpose == purpose,
                                                       col(AccountToken.used_at).is_(None))):
        old.used_at = now
        session.add(old)


def issue_link(session: Session, *, user_id: int, purpose: str, lifetime: timedelta, now: datetime) -> str:
    """A new one-time link; earlier unused links of the same purpose stop working, so only the newest email counts."""
    end_unused_links(session, user_id=user_id, purpose=purpose, now=now)
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(token_hash=_token_hash(token), purpose=purpose, user_id=user_id, created_at=now, expires_at=now + lifetime))
    path = "/invitation/" if purpose == "invitation" else "/reset-password/"
    return get_settings().base_url.rstrip("/") + path + token


def usable_link(session: Session, *, token: str, purpose: str, now: datetime) -> tuple[AccountToken, User] | None:
    if not token or len(token) > 100:
        return None
    link = session.exec(select(AccountToken).where(AccountToken.token_hash == _token_hash(token), AccountToken.purpose == purpose)).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    user = session.get(User, link.user_id)
    if user is None or (purpose == "password_reset" and not user.is_active):
        return None
    return link, user


class LinkNotUsable(ValueError):
    """The one-time link is unknown, used or expired."""


def accept_invitation(session: Session, *, token: str, password: str, now: datetime, previous_token: str | None = None) -> SignInStep:
    """Sets the invitee's first password and starts their sign-in at the code step. Check password_problem first."""
    found = usable_link(session, token=token, purpose="invitation", now=now)
    if found is None:
        raise LinkNotUsable("This invitation link is not valid.")
    link, user = found
    link.used_at = now
    user.password_hash = hash_password(password)
    user.is_active = True
    session.add_all([link, user])
    audit_service.record(session, portal_actor(user.id), "invitation.accepted", "user_account", user.id)
    hand_over_if_onboarded(session, user, actor=portal_actor(user.id), now=now)
    _end_previous(session, previous_token)
    stage = "two_factor" if user.totp_secret else "set_up_two_factor"
    token_value, row = sessions.start(session, user_id=user.id, stage=stage, now=now)
    if stage == "set_up_two_factor":
        row.pending_totp_secret = sealed_totp_secret(totp.new_secret())
    return SignInStep("accepted", session_token=token_value, next_path=_stage_path(stage))


def request_password_reset(session: Session, *, email: str, now: datetime) -> None:
    """Queues a reset for the worker, which emails a link if the account exists and can sign in. The caller says the
    same thing either way.

    The request does the same work for every address, one lookup and one queued row, so its timing cannot tell anyone
    whether the address has an account; the link is issued later, by the worker (issue_password_reset).
    """
    user = find_user(session, email)
    can_sign_in = user is not None and user.is_active and user.password_hash is not None
    request = enqueue_alert(session, template="password_reset", audience=RESET_REQUEST,
                            audience_ref=str(user.id) if can_sign_in else "", link="")
    request.created_at = now


def issue_password_reset(session: Session, *, user_id: int, now: datetime) -> str | None:
    """The worker's half of a reset request: a new link for an account that can sign in, unless one went in the last
    few minutes (so nobody can flood a colleague's inbox). None when there is nothing to send."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.password_hash is None:
        return None
    latest = session.exec(select(func.max(AccountToken.created_at)).where(
        AccountToken.user_id == user.id, AccountToken.purpose == "password_reset")).one()
    if latest is not None and now - latest < RESET_EMAIL_INTERVAL:
        return None
    link = issue_link(session, user_id=user.id, purpose="password_reset", lifetime=RESET_LIFETIME, now=now)
    audit_service.record(session, portal_actor(user.id), "password_reset.requested", "user_account", user.id)
    return link


def reset_password(session: Session, *, token: str, password: str, now: datetime) -> User:
    """Sets a new password and signs the user out everywhere. It does not sign them in: the code is still needed."""
    found = usable_link(session, token=token, purpose="password_reset", now=now)
    if found is None:
        raise LinkNotUsable("This password reset link is not valid.")
    link, user = found
    link.used_at = now
    user.password_hash = hash_password(password)
    session.add_all([link, user])
    sessions.end_all_for_user(session, user.id)
    tell_password_changed(session, user)
    audit_service.record(session, portal_actor(user.id), "password_reset.completed", "user_account", user.id)
    return user


def tell_password_changed(session: Session, user: User) -> None:
    """The email after any password change, so someone whose password was changed by another person finds out."""
    sign_in_page = get_settings().base_url.rstrip("/") + "/sign-in"
    enqueue_alert(session, template="password_changed", audience="user", audience_ref=str(user.id), link=sign_in_page)


def new_password_problems(password: str, confirmation: str, *, user: User | None = None) -> dict[str, str]:
    """Errors for a 'create a password' form, by field id; `user` is whose password it will be, when known."""
    personal_words = (user.email, user.display_name) if user is not None else ()
    problem = password_problem(password, personal_words=personal_words) if password else "Enter a password"
    if problem:
        return {"password": problem}
    if password != confirmation:
        return {"password-confirm": "The passwords do not match"}
    return {}
