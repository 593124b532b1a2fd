"""The one place notification queries are narrowed to what the caller may see."""

from dataclasses import dataclass

from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from service.notifications.models import Notification
from service.problems import NotFound


@dataclass(frozen=True)
class Scope:
    """What a caller may see. A police client sees its force; a Key Adult their settings; an officer their LAs."""

    force_id: str | None = None
    urns: frozenset[str] | None = None
    la_codes: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.force_id is None and self.urns is None and self.la_codes is None:
            raise ValueError("a Scope must name a force, settings or local authorities")


def scoped_notifications(scope: Scope) -> SelectOfScalar[Notification]:
    query = select(Notification)
    if scope.force_id is not None:
        query = query.where(Notification.force_id == scope.force_id)
    if scope.urns is not None:
        query = query.where(Notification.recipient_urn.in_(sorted(scope.urns)))
    if scope.la_codes is not None:
        query = query.where(Notification.recipient_la_code.in_(sorted(scope.la_codes)))
    return query


def get_notification(session: Session, scope: Scope, notification_id: str) -> Notification:
    """The notification if the caller may see it; otherwise NotFound, so its existence is not revealed."""
    notification = session.exec(scoped_notifications(scope).where(Notification.id == notification_id)).first()
    if notification is None:
        raise NotFound("No notification with that id.")
    return notification
