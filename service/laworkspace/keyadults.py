"""An LA officer inviting and deactivating Key Adults and deputies, only for settings in the officer's own LAs."""

from dataclasses import dataclass

from sqlmodel import Session, select

from service import wording
from service.accounts import administration
from service.accounts.emails import checked_email
from service.accounts.onboarded import active_key_adult_urns
from service.accounts.models import SETTING_ROLES, SettingMembership, User
from service.audit import service as audit_service
from service.db import utcnow
from service.laworkspace.officer import Officer
from service.problems import FormInvalid, NotFound
from service.register.models import Setting
from service.register.service import search_settings, setting_labels

ROLE_LABELS = {"key_adult": "Key Adult", "deputy": "Deputy"}
assert tuple(ROLE_LABELS) == SETTING_ROLES


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    display_name: str
    email: str
    role: str
    urn: str
    setting_name: str
    is_active: bool
    has_password: bool


def staff_in_area(session: Session, officer: Officer) -> list[StaffMember]:
    """Everyone with a role at a setting in the officer's LAs, by setting then name."""
    rows = session.exec(
        select(User, SettingMembership, Setting)
        .join(SettingMembership, SettingMembership.user_id == User.id)
        .join(Setting, Setting.urn == SettingMembership.urn)
        .where(Setting.la_code.in_(sorted(officer.la_codes)))
        .order_by(Setting.name, Setting.urn, User.display_name, User.id)
    ).all()
    return [
        StaffMember(user_id=user.id, display_name=user.display_name, email=user.email, role=membership.role, urn=setting.urn,
                    setting_name=setting.name, is_active=user.is_active, has_password=user.password_hash is not None)
        for user, membership, setting in rows
    ]


def settings_in_area(session: Session, officer: Officer, text: str) -> list[Setting]:
    text = (text or "").strip()[:100]
    if len(text) < 2:
        return []
    return [s for s in search_settings(session, text, la_codes=officer.la_codes, limit=20) if s.is_open]


@dataclass(frozen=True)
class Invited:
    email: str
    setting_label: str


# The invite form's fields top to bottom: the error summary lists problems in this order.
INVITE_FORM_ORDER = ("invite-urn", "invite-name", "invite-email", "invite-role")


def invite(session: Session, officer: Officer, *, urn: str, email: str, display_name: str, role: str) -> Invited:
    """Invites someone as Key Adult or deputy of a setting in the officer's LA, through the accounts service.

    The officer is told the same whether or not the email already has an account, so the form cannot be used to
    find out who has one. A new email gets an invitation; an existing account gets an offer to accept by a link.
    """
    errors: dict[str, str] = {}
    setting = session.get(Setting, (urn or "").strip()) if urn else None
    if setting is None or setting.la_code not in officer.la_codes:
        errors["invite-urn"] = "Choose a setting in your local authority"
    elif not setting.is_open:
        errors["invite-urn"] = "Choose an open setting: this one is closed"
    email = (email or "").strip()
    if not email:
        errors["invite-email"] = "Enter their email address"
    else:
        try:
            email = checked_email(email)
        except ValueError:
            errors["invite-email"] = "Enter an email address in the correct format, like name@school.example.sch.uk"
    if not (display_name or "").strip():
        errors["invite-name"] = "Enter their full name"
    elif len(display_name.strip()) > 120:
        errors["invite-name"] = "Their name must be 120 characters or fewer"
    if role not in SETTING_ROLES:
        errors["invite-role"] = "Select whether they are the Key Adult or a deputy"
    if errors:
        raise FormInvalid({field_id: errors[field_id] for field_id in INVITE_FORM_ORDER if field_id in errors})
    try:
        administration.invite_user(
            session, email=email, display_name=display_name.strip(), kind="setting_staff", now=utcnow(), by=officer.actor,
            urns=(setting.urn,), role=role, offer_to_existing=True, offered_by=officer.id,
        )
    except ValueError as problem:
        # An LA or admin account has this email. Saying so would tell the officer who has an account: it is audited
        # and nothing is sent, and the officer sees the same answer as for anyone else.
        audit_service.record(session, officer.actor, "user.invite_refused", "setting", setting.urn,
                             reason="another_kind" if "another kind" in str(problem) else "refused")
    return Invited(email=email, setting_label=wording.setting_label(setting.name, setting.urn))


def _in_officers_area(session: Session, officer: Officer, user_id: int) -> tuple[User, set[str]]:
    """The setting staff member and their settings in the officer's LAs; NotFound for anyone else."""
    user = session.get(User, user_id)
    if user is None or user.kind != "setting_staff":
        raise NotFound("No such person.")
    own_urns = set(session.exec(
        select(SettingMembership.urn).join(Setting, Setting.urn == SettingMembership.urn)
        .where(SettingMembership.user_id == user.id, Setting.la_code.in_(sorted(officer.la_codes)))
    ))
    if not own_urns:
        raise NotFound("No such person.")
    return user, own_urns


@dataclass(frozen=True)
class Removal:
    """What removing someone's access would do, for the officer to confirm."""

    user_id: int
    display_name: str
    email: str
    settings: tuple[str, ...]  # "Name (URN n)" of each of their settings in the officer's area
    left_without_key_adult: tuple[str, ...]  # those that would then have no active Key Adult


def removal(session: Session, officer: Officer, user_id: int) -> Removal:
    user, own_urns = _in_officers_area(session, officer, user_id)
    label = setting_labels(session, own_urns)
    still_onboarded = active_key_adult_urns(session, own_urns, excluding_user=user.id)
    was_onboarded = active_key_adult_urns(session, own_urns)
    return Removal(user_id=user.id, display_name=user.display_name, email=user.email,
                   settings=tuple(sorted(label.values())),
                   left_without_key_adult=tuple(sorted(label[urn] for urn in was_onboarded - still_onboarded)))


def deactivate(session: Session, officer: Officer, user_id: int) -> str:
    """Removes a setting's staff member from every setting in the officer's LAs, whoever else they work for; the
    account is deactivated only when no membership is left. Someone with no setting in the officer's LAs is 404."""
    user, own_urns = _in_officers_area(session, officer, user_id)
    administration.remove_from_settings(session, user=user, urns=own_urns, by=officer.actor)
    return user.email
