"""Which settings are onboarded: those with an active Key Adult, who can read what is sent to the setting."""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.accounts.models import SettingMembership, User
from service.audit.service import Actor
from service.notifications import onboarding


def active_key_adult_urns(session: Session, urns: Iterable[str]) -> set[str]:
    """The URNs among these that have at least one active Key Adult."""
    urns = list(urns)
    if not urns:
        return set()
    # Table columns rather than ORM attributes: intake asks this for nearly every child, and it only reads.
    membership, user = SettingMembership.__table__.c, User.__table__.c
    return set(session.execute(
        sa.select(membership.urn).join_from(SettingMembership.__table__, User.__table__, user.id == membership.user_id)
        .where(membership.urn.in_(urns), membership.role == "key_adult", user.is_active)
    ).scalars())


def hand_over_if_onboarded(session: Session, user: User, *, actor: Actor, now: datetime) -> None:
    """An active Key Adult at a setting means the setting is onboarded: what the LA held for it goes to it now."""
    if not user.is_active:
        return
    urns = session.exec(select(SettingMembership.urn).where(SettingMembership.user_id == user.id,
                                                            SettingMembership.role == "key_adult")).all()
    for urn in sorted(urns):
        onboarding.hand_over_on_onboarding(session, urn, actor=actor, now=now)
