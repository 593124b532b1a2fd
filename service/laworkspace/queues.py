"""The LA officer's queues: what each holds, counts, filters and one page of items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service import wording
from service.accounts.models import User
from service.audit import service as audit_service
from service.db import utcnow
from service.deadlines.calendar import LA_HOLIDAY_COVER
from service.laworkspace.handovers import LatestHandOver, latest_hand_overs
from service.deadlines import is_overdue
from service.laworkspace.officer import Officer
from service.notifications.models import (
    LA_QUEUES,
    Notification,
)
from service.notifications.scope import scoped_notifications
from service.problems import NotFound
from service.register.service import setting_labels

QUEUE_TITLES = {
    "not_in_school": "Children not in school",
    "to_resolve": "Setting to be resolved",
    "not_onboarded": "Setting not onboarded",
    "sent_back": "Sent back by a setting",
    "holiday_cover": "Holiday cover: setting closed",
    "escalated": "Escalated: not acknowledged in time",
}


QUEUE_DESCRIPTIONS = {
    "not_in_school": "Children police say are home educated, missing education, without a school place or not in education or training.",
    "to_resolve": "Children whose setting could not be identified safely from what police gave.",
    "not_onboarded": "Children whose setting was found but has no active Key Adult to receive the notification.",
    "sent_back": "Notifications a setting has said are not for them, for example because the child is not on their roll.",
    "holiday_cover": "Notifications for settings closed for the school holiday. Your holiday cover team acknowledges them "
                     "by the deadline; the setting sees them too when it reopens.",
    "escalated": "Notifications nobody acknowledged by the deadline.",
}

assert tuple(QUEUE_TITLES) == LA_QUEUES


EDUCATION_STATUS_LABELS = {
    "attends_setting": "Attends a setting",
    "elective_home_education": "Elective home education",
    "missing_education": "Missing education",
    "no_school_place": "No school place",
    "not_in_education_employment_training": "Not in education, employment or training",
    "below_school_age": "Below school age",
    "unknown": "Not known",
}


NOT_IN_SCHOOL_STATUSES = ("elective_home_education", "missing_education", "no_school_place", "not_in_education_employment_training")
ROUTING_METHOD_LABELS = {
    "urn": "Setting URN given by police",
    "urn_successor": "URN of a closed setting: sent to its successor",
    "urn_unresolved": "Setting URN given could not be used",
    "name": "Setting name matched",
    "name_ambiguous": "Setting name could mean more than one setting",
    "name_no_match": "Setting name matched no setting",
    "no_hint": "No setting given",
    "name_successor": "Setting name matched a closed setting's successor",
    "education_status": "Education status",
    "not_onboarded": "Setting has no active Key Adult",
    "over_age": "18 or over",
    "below_school_age": "Below school age",
    "kept_from_earlier_version": "Police corrected it: kept where a person chose",
}


STATUS_LABELS = {
    "received": "New", "sent": "Email sent", "delivered": "Delivered", "viewed": "Viewed", "acknowledged": "Acknowledged",
    "closed": "Closed", "escalated": "Escalated", "rerouted": "Re-routed",
}


ASSIGNED_FILTERS = {"anyone": "Anyone", "me": "Me", "unassigned": "Nobody"}
PAGE_SIZE = 25


def _open_items():
    return (Notification.closed_at.is_(None), Notification.superseded_by_id.is_(None))


def _in_queue(queue: str):
    conditions = [Notification.la_queue == queue, *_open_items()]
    if queue == "escalated":
        # Once the setting acknowledges, the escalation is over; an item the LA owns, or its holiday cover team held,
        # stays until an officer closes it or takes it out.
        conditions.append(sa.or_(Notification.recipient_urn.is_(None), Notification.acknowledged_at.is_(None),
                                 Notification.covered_by == LA_HOLIDAY_COVER))
    return conditions


def queue_counts(session: Session, officer: Officer) -> dict[str, int]:
    """Open items in each queue of the officer's LAs: one GROUP BY per queue over ix_notification_la_queue."""
    counts = dict.fromkeys(LA_QUEUES, 0)
    for queue in LA_QUEUES:
        query = scoped_notifications(officer.scope).where(*_in_queue(queue))
        counts[queue] = session.exec(query.with_only_columns(sa.func.count()).select_from(Notification)).one()
    return counts


@dataclass(frozen=True)
class QueueFilters:
    education_status: str | None = None
    la_code: str | None = None
    assigned: str = "anyone"
    page: int = 1

    def query_string(self, **changes) -> str:
        """The filters as URL parameters, so pagination links keep them."""
        values = {"education_status": self.education_status, "la_code": self.la_code, "assigned": self.assigned,
                  "page": self.page, **changes}
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in values.items() if v not in (None, "", "anyone", 1)})


def parse_queue_filters(params: Mapping[str, str], officer: Officer) -> QueueFilters:
    """Filters from the query string. Unknown values are ignored rather than refused: it is a bookmarkable GET."""
    status = params.get("education_status") or None
    la_code = params.get("la_code") or None
    assigned = params.get("assigned") or "anyone"
    try:
        page = max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    return QueueFilters(
        education_status=status if status in EDUCATION_STATUS_LABELS else None,
        la_code=la_code if la_code in officer.la_codes else None,
        assigned=assigned if assigned in ASSIGNED_FILTERS else "anyone",
        page=page,
    )


@dataclass(frozen=True)
class QueueItem:
    id: str
    child_name: str
    age: int | None
    education_status: str
    la_code: str | None
    received_at: datetime
    acknowledge_by: datetime | None
    status: str
    overdue: bool
    routing_method: str
    routing_reason: str
    routing_score: float | None
    candidates: tuple[dict, ...]
    intended_urn: str | None
    recipient_urn: str | None
    intended_setting: str | None  # the setting routing chose, as "Name (URN ...)", when the LA holds it for it
    assigned_to: str | None
    hand_over: LatestHandOver | None = None  # why it is here when it came by a send-back or re-route, not by routing


# Why a notification is in a queue whose reason is not how it was routed: said instead of the routing method.
QUEUE_HEADLINES = {
    "escalated": "Not acknowledged by its deadline",
    "holiday_cover": "Setting closed for the school holiday",
}


def why_headline(item: QueueItem, queue: str) -> str:
    """The few words a queue row starts with, to scan down the column: why this notification is in this queue. Pure."""
    if queue in QUEUE_HEADLINES:
        return QUEUE_HEADLINES[queue]
    if item.routing_method == "education_status":
        return EDUCATION_STATUS_LABELS.get(item.education_status, item.education_status)
    return ROUTING_METHOD_LABELS.get(item.routing_method, item.routing_method.replace("_", " ").capitalize())


@dataclass(frozen=True)
class QueuePage:
    queue: str
    items: list[QueueItem]
    total: int
    filters: QueueFilters
    page_count: int


def child_name(notification: Notification) -> str:
    return wording.child_name(notification.given_name, notification.family_name)


def queue_page(session: Session, officer: Officer, queue: str, filters: QueueFilters, *, now: datetime | None = None) -> QueuePage:
    """One page of a queue, oldest first, with what the officer needs to pick an item. The view is audited."""
    if queue not in LA_QUEUES:
        raise NotFound("No such queue.")
    now = now or utcnow()
    query = scoped_notifications(officer.scope).where(*_in_queue(queue))
    if filters.la_code:
        query = query.where(Notification.recipient_la_code == filters.la_code)
    if filters.education_status:
        query = query.where(Notification.education_status == filters.education_status)
    if filters.assigned == "me":
        query = query.where(Notification.assigned_officer_id == officer.id)
    elif filters.assigned == "unassigned":
        query = query.where(Notification.assigned_officer_id.is_(None))
    total = session.exec(query.with_only_columns(sa.func.count()).select_from(Notification)).one()
    page_count = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, page_count)
    rows = list(session.exec(
        query.order_by(Notification.received_at, Notification.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ))
    names = _officer_names(session, {n.assigned_officer_id for n in rows if n.assigned_officer_id})
    intended = setting_labels(session, [n.intended_urn for n in rows if n.intended_urn])
    hand_overs = latest_hand_overs(session, officer.scope, [n.id for n in rows])
    items = [
        QueueItem(
            id=n.id, child_name=child_name(n), age=n.age_at_incident, education_status=n.education_status,
            la_code=n.recipient_la_code, received_at=n.received_at, acknowledge_by=n.acknowledge_by, status=n.status,
            overdue=is_overdue(n.acknowledge_by, n.acknowledged_at, now),
            routing_method=n.routing_method, routing_reason=n.routing_reason, routing_score=n.routing_score,
            candidates=tuple(n.routing_candidates or ()), intended_urn=n.intended_urn, recipient_urn=n.recipient_urn,
            intended_setting=intended.get(n.intended_urn),
            assigned_to=names.get(n.assigned_officer_id), hand_over=hand_overs.get(n.id),
        )
        for n in rows
    ]
    audit_service.record(session, officer.actor, "la_queue.viewed", "la_queue", queue, page=page,
                         notification_ids=[item.id for item in items])
    return QueuePage(queue=queue, items=items, total=total, filters=QueueFilters(
        filters.education_status, filters.la_code, filters.assigned, page), page_count=page_count)


def _officer_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.display_name for row in session.exec(select(User).where(User.id.in_(sorted(ids))))}
