"""Onboarding: a setting that gets its first active Key Adult takes over what its LA held because it had none."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.audit.service import Actor
from service.notifications import lifecycle
from service.notifications.models import Notification, NotificationOwnerPeriod
from service.register.models import Setting


def hand_over_on_onboarding(session: Session, urn: str, *, actor: Actor, now: datetime) -> list[str]:
    """A setting has an active Key Adult now: the notifications the LA was holding because it had none go to it,
    each with its alert. Returns their ids."""
    setting = session.get(Setting, urn)
    waiting = list(session.exec(_waiting_for(urn).order_by(Notification.received_at, Notification.id)))
    for notification in waiting:
        lifecycle.hand_over(session, notification, to=lifecycle.NewOwner(urn=urn, la_code=setting.la_code if setting else notification.recipient_la_code),
                  because=lifecycle.HandOver.ONBOARDED, actor=actor, now=now)
    return [n.id for n in waiting]


def goes_when_onboarded(session: Session, notification: Notification, urn: str) -> bool:
    """Whether this notification, which the caller read through their scope, goes to the setting by itself once
    the setting has an active Key Adult."""
    return session.exec(_waiting_for(urn).where(Notification.id == notification.id)).first() is not None


def _waiting_for(urn: str):
    """The notifications the LA holds for a setting only until it has an active Key Adult."""
    return select(Notification).where(
        Notification.intended_urn == urn, Notification.recipient_urn.is_(None),
        # Routed there at intake, or a correction kept for a setting chosen before that has lost its Key Adults.
        Notification.routing_method.in_(("not_onboarded", lifecycle.KEPT_BY_CORRECTION)),
        Notification.la_queue.in_(("not_onboarded", "escalated")),
        Notification.closed_at.is_(None), Notification.superseded_by_id.is_(None),
        # Only what has waited since arrival: one sent back or re-routed since was an owner's decision.
        ~sa.exists(select(NotificationOwnerPeriod.id).where(NotificationOwnerPeriod.notification_id == Notification.id)),
    )
