"""The one place notification queries are narrowed to what the caller may see."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from service.notifications.models import Notification, NotificationAction, NotificationOwnerPeriod
from service.problems import NotFound

# A correction of a correction of ...: far more than police ever send, and a bound on a loop over stored links.
MAX_CORRECTIONS = 100


@dataclass(frozen=True)
class Scope:
    """What a caller may see. A police client sees its force; a Key Adult their settings; an officer their LAs."""

    force_id: str | None = None
    urns: frozenset[str] | None = None
    la_codes: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.force_id is None and self.urns is None and self.la_codes is None:
            raise ValueError("a Scope must name a force, settings or local authorities")

    def holds(self, *, urn: str | None, la_code: str | None, force_id: str | None = None) -> bool:
        """Whether an owner (a setting, an LA) or a force is within this scope. Pure."""
        if self.force_id is not None and force_id != self.force_id:
            return False
        if self.urns is not None and urn not in self.urns:
            return False
        if self.la_codes is not None and la_code not in self.la_codes:
            return False
        return True


class NoLongerYours(NotFound):
    """The caller held this notification once, but police corrected it or it was handed over to someone else.

    A 404 that says only that much: no child data. The portal audits the attempt."""

    def __init__(self, notification_id: str, why: str):
        super().__init__("This notification is no longer yours to see.")
        self.notification_id = notification_id
        self.why = why  # "corrected", "moved" or "withdrawn"


def scoped_notifications(scope: Scope, *, include_withdrawn: bool = False) -> SelectOfScalar[Notification]:
    """The notifications the caller may list. Police withdrawals are police's alone: no setting or LA lists one."""
    query = select(Notification)
    if scope.force_id is None and not include_withdrawn:
        query = query.where(Notification.withdrawn_at.is_(None))
    if scope.force_id is not None:
        query = query.where(Notification.force_id == scope.force_id)
    if scope.urns is not None:
        query = query.where(Notification.recipient_urn.in_(sorted(scope.urns)))
    if scope.la_codes is not None:
        query = query.where(Notification.recipient_la_code.in_(sorted(scope.la_codes)))
    return query


def current_version(session: Session, notification: Notification) -> Notification:
    """The newest correction of this notification (itself if police never corrected it)."""
    latest = notification
    for _ in range(MAX_CORRECTIONS):
        if latest.superseded_by_id is None:
            return latest
        newer = session.get(Notification, latest.superseded_by_id)
        if newer is None:
            return latest
        latest = newer
    return latest


def get_notification(session: Session, scope: Scope, notification_id: str, *, for_update: bool = False) -> Notification:
    """The notification if the caller may see it; otherwise NotFound, so its existence is not revealed.

    A superseded version is readable only by whoever may read its newest correction: a setting the correction no
    longer goes to loses it. An owner that handed it over (or had it taken away) gets NoLongerYours, and so does
    the owner of one police withdrew ("withdrawn by police", no child data).
    """
    query = scoped_notifications(scope, include_withdrawn=True).where(Notification.id == notification_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    notification = session.exec(query.execution_options(populate_existing=True)).first()
    if notification is None:
        if _held_before(session, scope, notification_id):
            raise NoLongerYours(notification_id, "moved")
        raise NotFound("No notification with that id.")
    if notification.withdrawn_at is not None and scope.force_id is None:
        raise NoLongerYours(notification_id, "withdrawn")
    if notification.superseded_by_id is not None:
        latest = current_version(session, notification)
        if not scope.holds(urn=latest.recipient_urn, la_code=latest.recipient_la_code, force_id=latest.force_id):
            raise NoLongerYours(notification_id, "corrected")
        if latest.withdrawn_at is not None and scope.force_id is None:
            raise NoLongerYours(notification_id, "withdrawn")  # police withdrew the correction: the earlier one too
    return notification


def _held_before(session: Session, scope: Scope, notification_id: str) -> bool:
    if scope.force_id is not None:
        return False  # a force never loses its own notifications
    query = select(NotificationOwnerPeriod.id).where(NotificationOwnerPeriod.notification_id == notification_id)
    if scope.urns is not None:
        query = query.where(NotificationOwnerPeriod.recipient_urn.in_(sorted(scope.urns)))
    if scope.la_codes is not None:
        query = query.where(NotificationOwnerPeriod.recipient_la_code.in_(sorted(scope.la_codes)))
    return session.exec(query.limit(1)).first() is not None


def visible_actions(scope: Scope):
    """The actions and notes a caller may read: those recorded under an owner in its scope, and hand-over reasons
    addressed to it. A setting sees its own; an LA sees everything recorded in its area. Police see none."""
    if scope.urns is not None:
        return sa.or_(NotificationAction.owner_urn.in_(sorted(scope.urns)), NotificationAction.for_urn.in_(sorted(scope.urns)))
    if scope.la_codes is not None:
        return sa.or_(NotificationAction.owner_la_code.in_(sorted(scope.la_codes)),
                      NotificationAction.for_la_code.in_(sorted(scope.la_codes)))
    return sa.false()


def action_visible(scope: Scope, action: NotificationAction) -> bool:
    """The same rule as visible_actions, for one row in memory. Pure."""
    if scope.urns is not None:
        return action.owner_urn in scope.urns or action.for_urn in scope.urns
    if scope.la_codes is not None:
        return action.owner_la_code in scope.la_codes or action.for_la_code in scope.la_codes
    return False


def same_child_elsewhere(session: Session, scope: Scope, notification: Notification) -> list[Notification]:
    """The child's other notifications from the same incident (their other settings), as far as the caller may
    see them: an LA sees all of them in its area, a setting only its own."""
    query = scoped_notifications(scope).where(
        Notification.incident_id == notification.incident_id, Notification.child_reference == notification.child_reference,
        Notification.id != notification.id)
    return list(session.exec(query.order_by(Notification.setting_position)))
