"""Administering portal accounts: inviting, deactivating, resetting a lost second factor and listing users."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from service.accounts import offers, sessions, totp
from service.accounts.emails import checked_email
from service.accounts.models import (
    SETTING_ROLES,
    USER_KINDS,
    AccountToken,
    LaMembership,
    PoliceStaffMembership,
    PortalSession,
    SettingMembership,
    User,
)
from service.accounts.onboarded import hand_over_if_onboarded
from service.accounts.service import (
    INVITATION_LIFETIME,
    find_user,
    issue_link,
    normalise_email,
    pending_totp_secret_of,
    totp_secret_of,
)
from service.alerts.outbox import enqueue_alert
from service.audit import service as audit_service
from service.audit.service import Actor
from service.config import get_settings
from service.localauthorities.models import LocalAuthority
from service.register.models import Setting

# --- Administration ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    user_id: int
    link: str | None  # None when the user already has a password and only gained (or was offered) a membership
    expires_at: datetime | None
    offered: bool = False  # the person already had an account: they were emailed an offer to accept, not added


def invite_user(session: Session, *, email: str, display_name: str, kind: str, now: datetime, by: Actor,
                urns: tuple[str, ...] = (), role: str | None = None, la_codes: tuple[str, ...] = (),
                offer_to_existing: bool = False, offered_by: int | None = None,
                force_id: str | None = None) -> Invitation:
    """Creates (or extends) an account with its settings or LAs, and a 7-day one-time link to set a password.

    A deactivated account comes back with only what it is invited to now. With `offer_to_existing` (an LA's form),
    an active account is not given the settings: each is offered, and the person accepts it by the emailed link.
    """
    from service.localauthorities.models import LocalAuthority
    from service.register.models import Setting

    email = checked_email(email)
    if kind not in USER_KINDS:
        raise ValueError(f"Kind must be one of {', '.join(USER_KINDS)}.")
    # A membership of the wrong kind would mislead: a Key Adult who is police staff makes a school count as onboarded.
    if kind != "setting_staff" and (urns or role):
        raise ValueError("Only setting staff have settings: leave out --urn and --role for this kind of account.")
    if kind != "la_officer" and la_codes:
        raise ValueError("Only LA officers have local authorities: leave out --la for this kind of account.")
    if kind == "setting_staff":
        if not urns or role not in SETTING_ROLES:
            raise ValueError(f"Setting staff need at least one --urn and a --role ({' or '.join(SETTING_ROLES)}).")
        unknown = [urn for urn in urns if session.get(Setting, urn) is None]
        if unknown:
            raise ValueError(f"No setting in the register with URN {', '.join(unknown)}.")
    if kind == "la_officer":
        if not la_codes:
            raise ValueError("LA officers need at least one --la code.")
        unknown = [code for code in la_codes if session.get(LocalAuthority, code) is None]
        if unknown:
            raise ValueError(f"No local authority configured with code {', '.join(unknown)}: load it with `encompass la load`.")
    if kind == "police_staff":
        from service.police.models import PoliceForce

        if not force_id:
            raise ValueError("Police staff need a --force: the one force whose notifications they will see.")
        if session.get(PoliceForce, force_id) is None:
            raise ValueError(f"No police force with id {force_id!r}: add it with `encompass police add-force`.")
    user = find_user(session, email)
    if user is None:
        user = User(email=email, display_name=display_name.strip() or email, kind=kind, created_at=now)
        session.add(user)
        session.flush()
    elif user.kind != kind:
        raise ValueError(f"{email} already has an account of another kind ({user.kind}).")
    elif not user.is_active:
        # Deactivation ended the memberships; any left from before it did must not come back with the account.
        _end_memberships(session, user, by=by, reason="reinvited")
    elif offer_to_existing:
        return _offer(session, user, urns=urns, role=role, by=by, offered_by=offered_by, now=now)
    for urn in urns:
        membership = session.get(SettingMembership, (user.id, urn))
        if membership is None:
            session.add(SettingMembership(user_id=user.id, urn=urn, role=role))
        elif membership.role != role:
            membership.role = role
            session.add(membership)
    for code in la_codes:
        if session.get(LaMembership, (user.id, code)) is None:
            session.add(LaMembership(user_id=user.id, la_code=code))
    if kind == "police_staff":
        _join_force(session, user, force_id)
    audit_service.record(session, by, "user.invited", "user_account", user.id, kind=kind, urns=list(urns), role=role,
                         la_codes=list(la_codes), **({"force_id": force_id} if kind == "police_staff" else {}))
    if user.password_hash is not None and user.is_active:
        session.flush()
        hand_over_if_onboarded(session, user, actor=by, now=now)
        return Invitation(user.id, None, None)
    return _send_invitation(session, user, now=now)


def _join_force(session: Session, user: User, force_id: str) -> None:
    """One force per person: someone moving to another force's hub loses the first force as they gain the second."""
    membership = session.get(PoliceStaffMembership, user.id)
    if membership is None:
        session.add(PoliceStaffMembership(user_id=user.id, force_id=force_id))
    elif membership.force_id != force_id:
        membership.force_id = force_id
        session.add(membership)


def _send_invitation(session: Session, user: User, *, now: datetime) -> Invitation:
    link = issue_link(session, user_id=user.id, purpose="invitation", lifetime=INVITATION_LIFETIME, now=now)
    enqueue_alert(session, template="invitation", audience="user", audience_ref=str(user.id), link=link)
    return Invitation(user.id, link, now + INVITATION_LIFETIME)


def _offer(session: Session, user: User, *, urns: tuple[str, ...], role: str, by: Actor, offered_by: int | None,
           now: datetime) -> Invitation:
    """Offers each setting the person does not already hold in that role; someone invited but not yet signed up gets
    a fresh invitation too, since accepting an offer needs them signed in."""
    for urn in urns:
        membership = session.get(SettingMembership, (user.id, urn))
        if membership is None or membership.role != role:
            offers.offer_membership(session, user=user, urn=urn, role=role, by=by, offered_by=offered_by, now=now)
    if user.password_hash is None:
        invitation = _send_invitation(session, user, now=now)
        return Invitation(user.id, invitation.link, invitation.expires_at, offered=True)
    return Invitation(user.id, None, None, offered=True)


def _end_memberships(session: Session, user: User, *, by: Actor, reason: str, urns: set[str] | None = None) -> dict:
    """Deletes the user's memberships (of these settings, or every setting and LA) and open offers, audited as
    `membership.removed` with exactly what was removed. Returns what was removed."""
    settings = session.exec(select(SettingMembership).where(SettingMembership.user_id == user.id)).all()
    settings = [m for m in settings if urns is None or m.urn in urns]
    authorities = session.exec(select(LaMembership).where(LaMembership.user_id == user.id)).all() if urns is None else []
    force = session.get(PoliceStaffMembership, user.id) if urns is None else None
    removed = {
        "settings": [{"urn": m.urn, "role": m.role} for m in sorted(settings, key=lambda m: m.urn)],
        "la_codes": sorted(m.la_code for m in authorities),
        "offers": offers.withdraw_offers(session, user.id, urns=urns),
    }
    if force is not None:
        removed["force_id"] = force.force_id
    for membership in [*settings, *authorities, *([force] if force is not None else [])]:
        session.delete(membership)
    if any(removed.values()):
        audit_service.record(session, by, "membership.removed", "user_account", user.id, reason=reason, **removed)
    session.flush()
    return removed


def deactivate_user(session: Session, *, email: str, by: Actor) -> User:
    """Stops the account signing in and ends every membership, so inviting the email again revives none of them."""
    return _deactivate(session, _existing_user(session, email), by=by)


def _deactivate(session: Session, user: User, *, by: Actor) -> User:
    removed = _end_memberships(session, user, by=by, reason="deactivated")
    user.is_active = False
    session.add(user)
    sessions.end_all_for_user(session, user.id)
    for link in session.exec(select(AccountToken).where(AccountToken.user_id == user.id, col(AccountToken.used_at).is_(None))):
        session.delete(link)
    audit_service.record(session, by, "user.deactivated", "user_account", user.id, removed=removed)
    return user


def remove_from_settings(session: Session, *, user: User, urns: set[str], by: Actor) -> bool:
    """Ends the user's memberships (and open offers) at these settings; the account is deactivated only when no
    membership is left. True when it was deactivated."""
    _end_memberships(session, user, by=by, reason="removed", urns=urns)
    if session.exec(select(SettingMembership).where(SettingMembership.user_id == user.id)).first() is not None:
        return False
    if session.exec(select(LaMembership).where(LaMembership.user_id == user.id)).first() is not None:
        return False
    if user.is_active:
        _deactivate(session, user, by=by)
    return True


def reset_two_factor(session: Session, *, user_id: int, by: Actor) -> User:
    """After a lost phone: the next sign-in sets up a new app. Not self-service, so a stolen password is not enough."""
    user = session.get(User, user_id)
    if user is None:
        raise ValueError("No such user.")
    user.totp_secret = None
    user.totp_last_step = None
    session.add(user)
    sessions.end_all_for_user(session, user.id)
    audit_service.record(session, by, "two_factor.reset", "user_account", user.id)
    return user


@dataclass(frozen=True)
class UserSummary:
    id: int
    email: str
    display_name: str
    kind: str
    is_active: bool
    has_password: bool
    has_two_factor: bool
    places: tuple[str, ...]  # "Brimington Junior School (key adult)" or "Derbyshire", by name (the code if unknown)
    last_sign_in_at: datetime | None


def list_users(session: Session) -> list[UserSummary]:
    from service.police.models import PoliceForce  # imported here, as above: accounts must not import police at load

    places: dict[int, list[str]] = {}
    for m, setting_name in session.exec(select(SettingMembership, Setting.name)
                                        .join(Setting, Setting.urn == SettingMembership.urn, isouter=True)
                                        .order_by(SettingMembership.urn)):
        places.setdefault(m.user_id, []).append(f"{setting_name or 'URN ' + m.urn} ({m.role.replace('_', ' ')})")
    for m, la_name in session.exec(select(LaMembership, LocalAuthority.name)
                                   .join(LocalAuthority, LocalAuthority.code == LaMembership.la_code, isouter=True)
                                   .order_by(LaMembership.la_code)):
        places.setdefault(m.user_id, []).append(la_name or f"LA {m.la_code}")
    for m, force_name in session.exec(select(PoliceStaffMembership, PoliceForce.name)
                                      .join(PoliceForce, PoliceForce.id == PoliceStaffMembership.force_id, isouter=True)):
        places.setdefault(m.user_id, []).append(force_name or f"Force {m.force_id}")
    return [
        UserSummary(u.id, u.email, u.display_name, u.kind, u.is_active, u.password_hash is not None, u.totp_secret is not None,
                    tuple(places.get(u.id, ())), u.last_sign_in_at)
        for u in session.exec(select(User).order_by(User.kind, User.email))
    ]


def code_for_demo(session: Session, *, email: str, now: datetime) -> str:
    """Development only: the current code for a user's app, or for the set-up screen they have open."""
    if get_settings().environment == "production":
        raise ValueError("Refusing to show codes in production.")
    user = _existing_user(session, email)
    secret = totp_secret_of(user)
    if secret is None:
        pending = session.exec(select(PortalSession).where(PortalSession.user_id == user.id, PortalSession.stage == "set_up_two_factor",
                                                           col(PortalSession.pending_totp_secret).is_not(None))
                               .order_by(col(PortalSession.created_at).desc())).first()
        if pending is None:
            raise ValueError(f"{email} has not set up two-factor yet: sign in with the password first, then run this again.")
        secret = pending_totp_secret_of(pending)
    return totp.current_code(secret, now)


def _existing_user(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise ValueError(f"No user with email {normalise_email(email)}.")
    return user
