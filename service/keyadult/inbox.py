"""The Key Adult's inbox: their settings' current notifications, urgent work first, 25 a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from service.dates import months_before
from service.deadlines import is_overdue
from service.keyadult.service import (REPEAT_THRESHOLD, REPEAT_WINDOW_MONTHS, RISK_ORDER, StaffMember, incidents_in_window,
                                      police_incident, risk_rank)
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
    repeat_count: int = 1  # this child's notifications at the staff member's settings in the 3 months to this one

    @property
    def repeated(self) -> bool:
        return self.repeat_count >= REPEAT_THRESHOLD


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


def page_slices(*, waiting: int, offset: int, size: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Which (offset, limit) of the waiting list and of the rest make up the page starting at `offset`. Pure.

    The inbox is the waiting (unacknowledged) notifications in urgency order, followed by the rest newest first."""
    if offset < waiting:
        taken = min(size, waiting - offset)
        return (offset, taken), (0, size - taken)
    return (0, 0), (offset - waiting, size)


def waiting_order(now: datetime) -> tuple:
    """Unacknowledged work, most urgent first: overdue, then the nearest deadline, then high risk before standard."""
    overdue_first = sa.case((Notification.acknowledge_by < now, 0), else_=1)
    no_deadline_last = sa.case((Notification.acknowledge_by.is_(None), 1), else_=0)
    risk = sa.case({level: risk_rank(level) for level in RISK_ORDER}, value=Incident.risk_level, else_=len(RISK_ORDER))
    return (overdue_first, no_deadline_last, Notification.acknowledge_by, risk, Notification.received_at.desc(),
            Notification.id.desc())


_ROW_COLUMNS = (
    Notification.id, Notification.given_name, Notification.family_name, Notification.recipient_urn,
    Notification.received_at, Notification.acknowledge_by, Notification.acknowledged_at, Notification.status,
    Incident.occurred_at, Incident.risk_level, Setting.name, Notification.child_key,
)


def _rows_in_order(session: Session, ids: list[str]) -> list:
    """The inbox columns for just these notifications (a page's worth), in the order given."""
    if not ids:
        return []
    found = {r[0]: r for r in session.exec(
        select(*_ROW_COLUMNS)
        .join(Incident, Incident.id == Notification.incident_id)
        .outerjoin(Setting, Setting.urn == Notification.recipient_urn)
        .where(Notification.id.in_(ids))
    ).all()}
    return [found[i] for i in ids if i in found]


def _waiting_ids(session: Session, scoped, *, now: datetime, offset: int, limit: int) -> list[str]:
    # The waiting few come from ix_notification_setting_waiting; the incident is joined for their risk level.
    return list(session.exec(
        scoped.with_only_columns(Notification.id)
        .join(Incident, Incident.id == Notification.incident_id)
        .where(Notification.acknowledged_at.is_(None))
        .order_by(*waiting_order(now))
        .limit(limit).offset(offset)
    ).all())


def _acknowledged_ids(session: Session, scoped, *, offset: int, limit: int) -> list[str]:
    # Sorted and cut on the narrow notification rows (ix_notification_setting_current); the incident and setting
    # are joined afterwards for just this page, so the join never runs over the setting's whole history.
    return list(session.exec(
        scoped.with_only_columns(Notification.id)
        .where(Notification.acknowledged_at.is_not(None))
        .order_by(Notification.received_at.desc(), Notification.id.desc())
        .limit(limit).offset(offset)
    ).all())


def repeat_counts(session: Session, *, staff: StaffMember, children: list[tuple[str | None, datetime]]) -> list[int]:
    """For each (child_key, occurred_at): how many incidents this child has at the staff member's settings in the 3
    months up to that one, counting it, as the notification page's chronology counts them: each police incident once
    (the scope already leaves out what police withdrew)."""
    keys = sorted({key for key, _ in children if key})
    if not keys:
        return [1] * len(children)
    earliest = min(months_before(occurred.date(), REPEAT_WINDOW_MONTHS) for _, occurred in children)
    since = datetime.combine(earliest, time.min, tzinfo=UTC) - timedelta(days=1)
    same_children = (
        scoped_notifications(staff.scope)
        .with_only_columns(Notification.id)
        .where(Notification.child_key.in_(keys), Notification.superseded_by_id.is_(None))
        .subquery("same_children")
    )
    seen: dict[str, dict[str, datetime]] = {}  # child key -> police incident -> when it happened
    for key, incident_id, occurred in session.exec(
        select(Notification.child_key, police_incident(), Incident.occurred_at)
        .join(same_children, same_children.c.id == Notification.id)
        .join(Incident, Incident.id == Notification.incident_id)
        .where(Incident.occurred_at >= since)
    ).all():
        seen.setdefault(key, {})[incident_id] = occurred
    return [incidents_in_window(list(seen.get(key, {}).values()), occurred) if key else 1 for key, occurred in children]


def inbox(session: Session, *, staff: StaffMember, criteria: InboxCriteria, now: datetime) -> InboxPage:
    """One page of the staff member's notifications: the waiting ones most urgent first, then the rest newest first."""
    scoped = scoped_notifications(staff.scope).where(
        Notification.superseded_by_id.is_(None), *status_conditions(criteria.status, now)
    )
    if criteria.urn is not None:
        scoped = scoped.where(Notification.recipient_urn == criteria.urn)
    total = session.exec(scoped.with_only_columns(sa.func.count(Notification.id))).one()
    waiting = session.exec(scoped.with_only_columns(sa.func.count(Notification.id))
                           .where(Notification.acknowledged_at.is_(None))).one()
    (waiting_offset, waiting_limit), (rest_offset, rest_limit) = page_slices(
        waiting=waiting, offset=(criteria.page - 1) * PAGE_SIZE, size=PAGE_SIZE)
    ids = []
    if waiting_limit:
        ids += _waiting_ids(session, scoped, now=now, offset=waiting_offset, limit=waiting_limit)
    if rest_limit and total > waiting:
        ids += _acknowledged_ids(session, scoped, offset=rest_offset, limit=rest_limit)
    results = _rows_in_order(session, ids)
    repeats = repeat_counts(session, staff=staff, children=[(r[11], r[8]) for r in results])
    rows = tuple(
        InboxRow(
            id=r[0], given_name=r[1], family_name=r[2], urn=r[3], setting_name=r[10] or f"Setting {r[3]}",
            received_at=r[4], acknowledge_by=r[5], acknowledged_at=r[6], status=r[7], occurred_at=r[8],
            risk_level=r[9], overdue=is_overdue(r[5], r[6], now), repeat_count=repeat,
        )
        for r, repeat in zip(results, repeats, strict=True)
    )
    return InboxPage(rows=rows, total=total, criteria=criteria, settings=setting_names(session, staff.urns))
