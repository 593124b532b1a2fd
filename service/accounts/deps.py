"""Who is signed in to the portal, as FastAPI dependencies other domains build their pages on."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlmodel import Session, select

from service.accounts import sessions
from service.accounts.models import LaMembership, PoliceStaffMembership, PortalSession, SettingMembership, User
from service.accounts.service import LANDING_PATHS
from service.db import SessionDep, utcnow
from service.notifications.scope import Scope
from service.problems import NotFound
from service.web.cookies import SESSION_COOKIE
from service.web.csrf import verify_csrf
from service.web.errors import RedirectTo

SIGN_IN_PATH = "/sign-in"
SESSION_ENDED_PATH = "/session-ended"


@dataclass(frozen=True)
class PortalUser:
    """The signed-in user as plain data: safe to keep after the database session has closed."""

    id: int
    email: str
    display_name: str
    kind: str  # setting_staff, la_officer, admin, police_staff
    setting_roles: Mapping[str, str] = field(default_factory=dict)  # urn -> "key_adult" | "deputy"
    la_codes: frozenset[str] = frozenset()
    force_id: str | None = None  # police staff: the one force whose notifications they see
    session_id: str = ""  # the stored hash of the session token, never the token itself

    @property
    def urns(self) -> frozenset[str]:
        return frozenset(self.setting_roles)

    def setting_scope(self) -> Scope:
        return Scope(urns=self.urns)

    def la_scope(self) -> Scope:
        return Scope(la_codes=self.la_codes)

    def force_scope(self) -> Scope:
        return Scope(force_id=self.force_id)

    @property
    def landing_path(self) -> str:
        return LANDING_PATHS.get(self.kind, "/")


def load_portal_user(session: Session, user: User, session_id: str = "") -> PortalUser:
    roles = {m.urn: m.role for m in session.exec(select(SettingMembership).where(SettingMembership.user_id == user.id))}
    la_codes = frozenset(m.la_code for m in session.exec(select(LaMembership).where(LaMembership.user_id == user.id)))
    force = session.get(PoliceStaffMembership, user.id) if user.kind == "police_staff" else None
    return PortalUser(id=user.id, email=user.email, display_name=user.display_name, kind=user.kind,
                      setting_roles=roles, la_codes=la_codes, force_id=force.force_id if force else None,
                      session_id=session_id)


def safe_next_path(path: str | None) -> str | None:
    """Only a path on this site, so a crafted sign-in link cannot send someone to another site afterwards."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")) or len(path) > 300:
        return None
    if any(ch in path for ch in "\r\n\\") or path.startswith(SIGN_IN_PATH):
        return None
    return path


def _sign_in_url(request: Request) -> str:
    if request.method != "GET":
        return SIGN_IN_PATH
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    wanted = safe_next_path(wanted)
    return f"{SIGN_IN_PATH}?next={quote(wanted, safe='/')}" if wanted else SIGN_IN_PATH


def current_user(request: Request, session: SessionDep) -> PortalUser:
    """The signed-in user; otherwise the browser is sent to sign in (or told its session ended)."""
    row = sessions.find(session, request.cookies.get(SESSION_COOKIE))
    if row is None or row.stage != "signed_in":
        raise RedirectTo(_sign_in_url(request))
    now = utcnow()
    if sessions.expiry_reason(row, now, sessions.limits_from_settings()) is not None:
        # The page there ends the session and audits it in its own, successful, request.
        raise RedirectTo(SESSION_ENDED_PATH)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise RedirectTo(SESSION_ENDED_PATH)
    sessions.touch(row, now)
    portal_user = load_portal_user(session, user, row.token_hash)
    request.state.portal_user = portal_user
    request.state.portal_session = row
    request.state.db_session = session
    return portal_user


def current_portal_session(request: Request, user: Annotated[PortalUser, Depends(current_user)]) -> PortalSession:
    """The signed-in browser's own session row, for pages about the session itself."""
    return request.state.portal_session


def require_setting_staff(user: Annotated[PortalUser, Depends(current_user)]) -> PortalUser:
    if user.kind != "setting_staff":
        raise NotFound("Page not found.")
    return user


def require_la_officer(user: Annotated[PortalUser, Depends(current_user)]) -> PortalUser:
    if user.kind != "la_officer":
        raise NotFound("Page not found.")
    return user


def require_admin(user: Annotated[PortalUser, Depends(current_user)]) -> PortalUser:
    if user.kind != "admin":
        raise NotFound("Page not found.")
    return user


def require_police_staff(user: Annotated[PortalUser, Depends(current_user)]) -> PortalUser:
    # Without a force (deactivated and revived half-way, say) there is nothing they may see.
    if user.kind != "police_staff" or user.force_id is None:
        raise NotFound("Page not found.")
    return user


CurrentUser = Annotated[PortalUser, Depends(current_user)]
CurrentSession = Annotated[PortalSession, Depends(current_portal_session)]
SettingStaff = Annotated[PortalUser, Depends(require_setting_staff)]
LaOfficer = Annotated[PortalUser, Depends(require_la_officer)]
Admin = Annotated[PortalUser, Depends(require_admin)]
PoliceStaff = Annotated[PortalUser, Depends(require_police_staff)]
CsrfChecked = Depends(verify_csrf)
