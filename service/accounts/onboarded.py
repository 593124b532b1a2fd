"""Which settings are onboarded: those with an active Key Adult, who can read what is sent to the setting."""

from collections.abc import Iterable

from sqlmodel import Session, select

from service.accounts.models import SettingMembership, User


def active_key_adult_urns(session: Session, urns: Iterable[str]) -> set[str]:
    """The URNs among these that have at least one active Key Adult."""
    urns = list(urns)
    if not urns:
        return set()
    return set(session.exec(
        select(SettingMembership.urn).join(User, User.id == SettingMembership.user_id)
        .where(SettingMembership.urn.in_(urns), SettingMembership.role == "key_adult", User.is_active)
    ))
