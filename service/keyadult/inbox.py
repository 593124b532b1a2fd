"""The Key Adult's inbox: their settings' current notifications, urgent work first, 25 a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.keyadult.service import StaffMember, is_overdue
from service.notifications.models import Incident, Notification
from service.notifications.scope import scoped_notifications
from service.register.models import Setting

PAGE_SIZE = 25
# What "status" means in the inbox filter, in a Key Adult's words.


STATUS_FILTERS: dict[str, str] = {
    "all": "All notifications",
    "waiting": "Not acknowledged",
    "overdue": "Overdue",
    "acknowledged": "Acknowledged, not closed",
    "closed": "Closed",
}


def status_conditions(status: str, now: datetime) -> tuple:
    if status == "waiting":
        return (Notification.acknowledged_at.is_(None),)
    if status == "overdue":
        return (Notification.acknowledged_at.is_(None), Notification.acknowledge_by < now)
    if status == "acknowledged":
        return (Notification.acknowledged_at.is_not(None), Notification.closed_at.is_(None))
    if status == "closed":
        return (Notification.closed_at.is_not(None),)
    return ()


@dataclass(frozen=True)
class InboxCriteria:
    status: str = "all"
    urn: str | None = None
    page: int = 1

    @classmethod
    def from_query(cls, *, status: str | None, urn: str | None, page: str | None, urns: frozenset[str]) -> InboxCriteria:
        """What the inbox's GET form asked for; anything unrecognised falls back to the default rather than failing."""
        try:
            page_number = max(1, min(int(page or 1), 100_000))
        except ValueError:
            page_number = 1
        return cls(
            status=status if status in STATUS_FILTERS else "all",
            urn=urn if urn in urns else None,
            page=page_number,
        )


@dataclass(frozen=True)
class InboxRow:
    id: str
    given_name: str | None
    family_name: str | None
    urn: str
    setting_name: str
    occurred_at: datetime
    risk_level: str
    received_at: datetime
    acknowledge_by: datetime | None
    acknowledged_at: datetime | None
    status: str
    overdue: bool


@dataclass(frozen=True)
class InboxPage:
    rows: tuple[InboxRow, ...]
    total: int
    criteria: InboxCriteria
    settings: dict[str, str]  # urn -> name, for the setting filter
    page_size: int = PAGE_SIZE

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))


def setting_names(session: Session, urns: frozenset[str]) -> dict[str, str]:
    found = dict(session.exec(select(Setting.urn, Setting.name).where(Setting.urn.in_(sorted(urns)))).all()) if urns else {}
    return {urn: found.get(urn, f"Setting {urn}") for urn in sorted(urns, key=lambda u: (found.get(u, ""), u))}


def inbox(session: Session, *, staff: StaffMember, criteria: InboxCriteria, now: datetime) -> InboxPage:
    """One page of the staff member's notifications: not yet acknowledged first, then newest first."""
    scoped = scoped_notifications(staff.scope).where(
        Notification.superseded_by_id.is_(None), *status_conditions(criteria.status, now)
    )
    if criteria.urn is not None:
        scoped = scoped.where(Notification.recipient_urn == criteria.urn)
    total = session.exec(scoped.with_only_columns(sa.func.count(Notification.id))).one()

    waiting_first = sa.case((Notification.acknowledged_at.is_(None), 0), else_=1)
    # Sort and cut the page on the narrow notification rows (ix_notification_setting_inbox), then join the
    # incident and setting for just those 25 rows, so the join never runs over the setting's whole history.
    page = (
        scoped.with_only_columns(Notification.id, waiting_first.label("waiting_rank"), Notification.received_at)
        .order_by(waiting_first, Notification.received_at.desc(), Notification.id.desc())
        .limit(PAGE_SIZE)
        .offset((criteria.page - 1) * PAGE_SIZE)
        .subquery("page")
    )
    results = session.exec(
        select(
            Notification.id, Notification.given_name, Notification.family_name, Notification.recipient_urn,
            Notification.received_at, Notification.acknowledge_by, Notification.acknowledged_at, Notification.status,
            Incident.occurred_at, Incident.risk_level, Setting.name,
        )
        .join(page, page.c.id == Notification.id)
        .join(Incident, Incident.id == Notification.incident_id)
        .outerjoin(Setting, Setting.urn == Notification.recipient_urn)
        .order_by(page.c.waiting_rank, page.c.received_at.desc(), Notification.id.desc())
    ).all()
    rows = tuple(
        InboxRow(
            id=r[0], given_name=r[1], family_name=r[2], urn=r[3], setting_name=r[10] or f"Setting {r[3]}",
            received_at=r[4], acknowledge_by=r[5], acknowledged_at=r[6], status=r[7], occurred_at=r[8],
            risk_level=r[9], overdue=is_overdue(r[5], r[6], now),
        )
        for r in results
    )
    return InboxPage(rows=rows, total=total, criteria=criteria, settings=setting_names(session, staff.urns))
