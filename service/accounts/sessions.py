"""Server-side portal sessions: start, rotate, look up, expire (idle and absolute) and end."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from service.accounts.models import PortalSession
from service.config import get_settings

# Writing last_seen_at on every click would make each page view a write; a minute's slack is harmless for a 30-minute timeout.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta
    # Between the password and the code: long enough to find a phone, short enough that a walked-away screen is dead.
    unfinished: timedelta = timedelta(minutes=15)


def limits_from_settings() -> SessionLimits:
    settings = get_settings()
    return SessionLimits(idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_absolute_hours))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def expiry_reason(row: PortalSession, now: datetime, limits: SessionLimits) -> str | None:
    """Why this session may no longer be used ('idle', 'absolute', 'unfinished'), or None while it is live."""
    if row.stage != "signed_in" and now - row.created_at >= limits.unfinished:
        return "unfinished"
    if now - row.created_at >= limits.absolute:
        return "absolute"
    if now - row.last_seen_at >= limits.idle:
        return "idle"
    return None


def start(session: Session, *, user_id: int, stage: str, now: datetime, next_path: str | None = None) -> tuple[str, PortalSession]:
    """A new session; returns the cookie token (shown to the browser once) and the stored row (which keeps only its hash)."""
    token = new_token()
    row = PortalSession(token_hash=hash_token(token), user_id=user_id, stage=stage, created_at=now, last_seen_at=now, next_path=next_path)
    session.add(row)
    return token, row


def rotate(session: Session, row: PortalSession, *, stage: str, now: datetime) -> tuple[str, PortalSession]:
    """Moves a session to its next stage under a new token, so a token seen before that step is worthless after it.

    Only finishing sign-in restarts the 12-hour clock; a signed-in session rotated again (a password change) keeps it.
    """
    token, fresh = start(session, user_id=row.user_id, stage=stage, now=now, next_path=row.next_path)
    if stage != "signed_in" or row.stage == "signed_in":
        fresh.created_at = row.created_at
    fresh.pending_totp_secret = row.pending_totp_secret if stage == "set_up_two_factor" else None
    fresh.flashes = list(row.flashes or [])
    session.delete(row)
    return token, fresh


def find(session: Session, token: str | None) -> PortalSession | None:
    if not token or len(token) > 100:
        return None
    return session.get(PortalSession, hash_token(token))


def touch(row: PortalSession, now: datetime) -> None:
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now


def end(session: Session, row: PortalSession) -> None:
    session.delete(row)


def end_all_for_user(session: Session, user_id: int, *, keep: PortalSession | None = None) -> int:
    """Signs a user out everywhere (deactivation, password reset, two-factor reset), or everywhere but `keep`."""
    statement = delete(PortalSession).where(col(PortalSession.user_id) == user_id)
    if keep is not None:
        statement = statement.where(col(PortalSession.token_hash) != keep.token_hash)
    result = session.exec(statement)
    return result.rowcount or 0


def live_for_user(session: Session, user_id: int, *, now: datetime, limits: SessionLimits) -> list[PortalSession]:
    """The user's signed-in sessions that can still be used, the most recently used first."""
    rows = session.exec(select(PortalSession).where(PortalSession.user_id == user_id, PortalSession.stage == "signed_in")
                        .order_by(col(PortalSession.last_seen_at).desc(), col(PortalSession.created_at).desc())).all()
    return [row for row in rows if expiry_reason(row, now, limits) is None]


def purge_expired(session: Session, *, now: datetime, limits: SessionLimits) -> int:
    """Deletes sessions that can no longer be used; the cookie holders will simply be asked to sign in."""
    stale = session.exec(select(PortalSession).where(
        (col(PortalSession.last_seen_at) <= now - limits.idle) | (col(PortalSession.created_at) <= now - limits.absolute)
        | ((col(PortalSession.stage) != "signed_in") & (col(PortalSession.created_at) <= now - limits.unfinished))
    )).all()
    for row in stale:
        session.delete(row)
    return len(stale)
