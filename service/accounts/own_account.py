"""A signed-in user's own account: giving their password again, changing it, and seeing and ending their sessions."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from service.accounts import administration, sessions, throttle
from service.accounts.models import PortalSession, User
from service.accounts.passwords import hash_password, verify_password
from service.accounts.service import (SignInStep, end_unused_links, new_password_problems, portal_actor,
                                      tell_password_changed)
from service.audit import service as audit_service


def confirm_password(session: Session, *, user: User, password: str, address: str, now: datetime, purpose: str,
                     **detail) -> SignInStep:
    """Checks a signed-in user's password again before something sensitive ('accepted', 'wrong' or 'throttled').

    Counted with the sign-in throttle, so someone who took over a session guesses no faster here than at sign-in.
    """
    keys = throttle.password_keys(user.email, address)
    wait = throttle.seconds_to_wait(session, keys, now)
    if wait:
        return SignInStep("throttled", retry_after=wait)
    if not verify_password(password, user.password_hash):
        throttle.note_failure(session, keys, now)
        audit_service.record(session, portal_actor(user.id), "reauthentication.failed", "user_account", user.id,
                             purpose=purpose, **detail)
        return SignInStep("wrong")
    return SignInStep("accepted")


@dataclass(frozen=True)
class PasswordChange:
    """What changing the password came to: errors by field id, or the new cookie value for this browser."""

    errors: dict[str, str] = field(default_factory=dict)
    retry_after: int = 0  # set when too many wrong current passwords were given
    session_token: str | None = None
    session_row: PortalSession | None = None


def change_password(session: Session, *, row: PortalSession, current: str, new: str, confirmation: str, address: str,
                    now: datetime) -> PasswordChange:
    """Sets a new password after checking the current one; every other session ends and this one gets a new token,
    so a copied cookie stops working too, and so does any reset link emailed earlier (someone else may have the
    mailbox). The user is emailed and the change audited."""
    user = session.get(User, row.user_id)
    errors = {}
    if not current:
        errors["current-password"] = "Enter your current password"
    else:
        check = confirm_password(session, user=user, password=current, address=address, now=now, purpose="change_password")
        if check.outcome == "throttled":
            return PasswordChange(retry_after=check.retry_after)
        if check.outcome == "wrong":
            errors["current-password"] = "Your current password is not correct"
    errors |= new_password_problems(new, confirmation, user=user)
    if errors:
        return PasswordChange(errors=errors)
    user.password_hash = hash_password(new)
    session.add(user)
    ended = sessions.end_all_for_user(session, user.id, keep=row)
    end_unused_links(session, user_id=user.id, purpose="password_reset", now=now)
    token, fresh = sessions.rotate(session, row, stage="signed_in", now=now)
    tell_password_changed(session, user)
    audit_service.record(session, portal_actor(user.id), "password.changed", "user_account", user.id, other_sessions_ended=ended)
    return PasswordChange(session_token=token, session_row=fresh)


@dataclass(frozen=True)
class SessionSummary:
    started_at: datetime
    last_seen_at: datetime
    this_device: bool


def active_sessions(session: Session, *, row: PortalSession, now: datetime) -> list[SessionSummary]:
    """Where the user is signed in now, this browser first."""
    live = sessions.live_for_user(session, row.user_id, now=now, limits=sessions.limits_from_settings())
    summaries = [SessionSummary(s.created_at, s.last_seen_at, s.token_hash == row.token_hash) for s in live]
    return sorted(summaries, key=lambda s: not s.this_device)


def sign_out_other_sessions(session: Session, *, row: PortalSession) -> int:
    """Ends every session of this user but this browser's; returns how many."""
    ended = sessions.end_all_for_user(session, row.user_id, keep=row)
    audit_service.record(session, portal_actor(row.user_id), "sessions.ended_elsewhere", "user_account", row.user_id, ended=ended)
    return ended


def reset_two_factor_with_password(session: Session, *, admin_id: int, password: str, target: User, address: str,
                                   now: datetime) -> SignInStep:
    """An admin resets someone's second factor only after giving their own password again: a session left open on
    an admin's desk is not enough. Nothing changes unless the outcome is 'accepted'."""
    admin = session.get(User, admin_id)
    check = confirm_password(session, user=admin, password=password, address=address, now=now, purpose="reset_two_factor",
                             target_user_id=target.id)
    if check.outcome == "accepted":
        administration.reset_two_factor(session, user_id=target.id, by=portal_actor(admin.id))
    return check
