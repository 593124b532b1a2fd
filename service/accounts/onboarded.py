"""Which settings are onboarded: those with an active Key Adult, who can read what is sent to the setting."""

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, select

from service.accounts.models import SettingMembership, User
from service.audit.service import Actor
from service.notifications import onboarding


def active_key_adult_urns(session: Session, urns: Iterable[str]) -> set[str]:
    """The URNs among these that have at least one active Key Adult."""
    urns = list(urns)
    if not urns:
        return set()
    return set(session.exec(
        select(SettingMembership.urn).join(User, User.id == SettingMembership.user_id)
        .where(SettingMembership.urn.in_(urns), SettingMembership.role == "key_adult", User.is_active)
    ))


def hand_over_if_onboarded(session: Session, user: User, *, actor: Actor, now: datetime) -> None:
    """An active Key Adult at a setting means the setting is onboarded: what the LA held for it goes to it now."""
    if not user.is_active:
        return
    urns = session.exec(select(SettingMembership.urn).where(SettingMembership.user_id == user.id,
                                                            SettingMembership.role == "key_adult")).all()
    for urn in sorted(urns):
        onboarding.hand_over_on_onboarding(session, urn, actor=actor, now=now)
