"""Which settings are onboarded: those with an active Key Adult, who can read what is sent to the setting.

An active Key Adult is setting staff with the Key Adult role who can sign in: not deactivated, and with a password. Someone only invited has
no password until they accept, so nobody could read what went to the setting; the LA holds it until then
(accept_invitation hands it over)."""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.accounts.models import SettingMembership, User
from service.audit.service import Actor
from service.db import execute_core
from service.notifications import onboarding


_MEMBERSHIP, _USER = SettingMembership.__table__.c, User.__table__.c
# Built once, of table columns rather than ORM attributes: intake asks this for nearly every incident, and only reads
# (public so intake can ask it together with the webhook question, in one round trip).
ACTIVE_KEY_ADULT_URNS = (
    sa.select(_MEMBERSHIP.urn)
    .join_from(SettingMembership.__table__, User.__table__, _USER.id == _MEMBERSHIP.user_id)
    .where(_MEMBERSHIP.urn.in_(sa.bindparam("urns", expanding=True)), _MEMBERSHIP.role == "key_adult", _USER.is_active,
           _USER.password_hash.is_not(None), _USER.kind == "setting_staff")
)


def active_key_adult_urns(session: Session, urns: Iterable[str], *, excluding_user: int | None = None) -> set[str]:
    """The URNs among these that have at least one active Key Adult (other than `excluding_user`, if given: would
    they still, without that person?)."""
    urns = sorted(set(urns))
    if not urns:
        return set()
    if excluding_user is not None:
        return set(session.execute(ACTIVE_KEY_ADULT_URNS.where(_USER.id != excluding_user), {"urns": urns}).scalars())
    return set(execute_core(session, ACTIVE_KEY_ADULT_URNS, {"urns": urns}).scalars())


def hand_over_if_onboarded(session: Session, user: User, *, actor: Actor, now: datetime) -> None:
    """An active Key Adult at a setting means the setting is onboarded: what the LA held for it goes to it now."""
    if not user.is_active or user.password_hash is None:
        return
    urns = session.exec(select(SettingMembership.urn).where(SettingMembership.user_id == user.id,
                                                            SettingMembership.role == "key_adult")).all()
    for urn in sorted(urns):
        onboarding.hand_over_on_onboarding(session, urn, actor=actor, now=now)
