"""Membership offers: a role at a setting for someone who already has an account is theirs only once they accept it.

An LA that invites an email already in use must not add that person to its setting by itself (they may be another
LA's Key Adult, and would start reading this setting's notifications unasked), so the person is emailed a one-time
link and accepts the offer signed in as themselves.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.accounts.models import AccountToken, MembershipOffer, SettingMembership, User
from service.accounts.onboarded import hand_over_if_onboarded
from service.accounts.service import INVITATION_LIFETIME, portal_actor, usable_link
from service.alerts.outbox import enqueue_alert
from service.audit import service as audit_service
from service.audit.service import Actor
from service.config import get_settings
from service.db import execute_core
from service.register.models import Setting

PURPOSE = "membership"
OFFER_PATH = "/membership/"


def offer_membership(session: Session, *, user: User, urn: str, role: str, by: Actor, offered_by: int | None,
                     now: datetime) -> MembershipOffer:
    """Offers `role` at `urn` to an existing account and emails the link. An earlier offer of the same setting dies."""
    for earlier, link in session.exec(
        select(MembershipOffer, AccountToken).join(AccountToken, AccountToken.id == MembershipOffer.token_id)
        .where(MembershipOffer.user_id == user.id, MembershipOffer.urn == urn, col(MembershipOffer.accepted_at).is_(None),
               col(AccountToken.used_at).is_(None))
    ):
        link.used_at = now
        session.add(link)
    # Not accounts.service.issue_link: that ends every other unused link of the purpose, and two LAs may each have
    # an offer open for the same person.
    token = secrets.token_urlsafe(32)
    link = AccountToken(token_hash=hashlib.sha256(token.encode()).hexdigest(), purpose=PURPOSE, user_id=user.id,
                        created_at=now, expires_at=now + INVITATION_LIFETIME)
    session.add(link)
    session.flush()
    offer = MembershipOffer(user_id=user.id, urn=urn, role=role, token_id=link.id, offered_by=offered_by, created_at=now)
    session.add(offer)
    session.flush()
    url = get_settings().base_url.rstrip("/") + OFFER_PATH + token
    enqueue_alert(session, template="membership_offer", audience="user", audience_ref=str(user.id), link=url)
    audit_service.record(session, by, "membership.offered", "user_account", user.id, urn=urn, role=role, offer_id=offer.id)
    return offer


@dataclass(frozen=True)
class OpenOffer:
    offer: MembershipOffer
    link: AccountToken
    setting_name: str
    setting_la_code: str
    setting_la_name: str  # what the page says: people know their LA by name, not by code


def open_offer(session: Session, *, token: str, user_id: int, now: datetime) -> OpenOffer | None:
    """The offer this link makes to this signed-in user; None for anyone else, and for a used or expired link."""
    found = usable_link(session, token=token, purpose=PURPOSE, now=now)
    if found is None:
        return None
    link, user = found
    if user.id != user_id or not user.is_active or user.kind != "setting_staff":
        return None
    offer = session.exec(select(MembershipOffer).where(MembershipOffer.token_id == link.id,
                                                       col(MembershipOffer.accepted_at).is_(None))).first()
    setting = session.get(Setting, offer.urn) if offer else None
    if offer is None or setting is None:
        return None
    return OpenOffer(offer=offer, link=link, setting_name=setting.name, setting_la_code=setting.la_code,
                     setting_la_name=setting.la_name)


def accept_offer(session: Session, found: OpenOffer, *, now: datetime) -> bool:
    """The person takes the role: the membership is added (or its role changed), once. True once the offer is
    accepted; False if it was withdrawn meanwhile.

    A second request for the same offer (a double click) finds it taken here and changes nothing: claiming it is one
    conditional UPDATE, which on PostgreSQL waits for the first request's commit and on SQLite for its write lock."""
    offer, link = found.offer, found.link
    claimed = session.execute(
        sa.update(MembershipOffer).where(MembershipOffer.id == offer.id, col(MembershipOffer.accepted_at).is_(None))
        .values(accepted_at=now).execution_options(synchronize_session=False)).rowcount
    if not claimed:  # taken by the first click, or withdrawn by the LA since this request found it
        return execute_core(session, sa.select(MembershipOffer.id).where(
            MembershipOffer.id == offer.id, col(MembershipOffer.accepted_at).is_not(None))).first() is not None
    link.used_at = now
    offer.accepted_at = now
    membership = session.get(SettingMembership, (offer.user_id, offer.urn))
    if membership is None:
        session.add(SettingMembership(user_id=offer.user_id, urn=offer.urn, role=offer.role))
    else:
        membership.role = offer.role
        session.add(membership)
    session.add_all([link, offer])
    session.flush()
    actor = portal_actor(offer.user_id)
    audit_service.record(session, actor, "membership.accepted", "user_account", offer.user_id, urn=offer.urn,
                         role=offer.role, offer_id=offer.id)
    hand_over_if_onboarded(session, session.get(User, offer.user_id), actor=actor, now=now)
    return True


def withdraw_offers(session: Session, user_id: int, *, urns: set[str] | None = None) -> list[str]:
    """Removes the person's offers not yet accepted (of these settings, or all) and their links: the URNs withdrawn."""
    query = select(MembershipOffer).where(MembershipOffer.user_id == user_id, col(MembershipOffer.accepted_at).is_(None))
    if urns is not None:
        query = query.where(col(MembershipOffer.urn).in_(sorted(urns)))
    withdrawn = []
    for offer in session.exec(query).all():
        link = session.get(AccountToken, offer.token_id)
        session.delete(offer)
        session.flush()
        if link is not None:
            session.delete(link)
        withdrawn.append(offer.urn)
    return sorted(set(withdrawn))
