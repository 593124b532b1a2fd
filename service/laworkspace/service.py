"""What an LA education officer does with notifications: queues, assigning, re-routing, outcomes, and the oversight queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.accounts.models import LaMembership, SettingMembership, User
from service.audit import service as audit_service
from service.audit.service import Actor
from service.db import utcnow
from service.deadlines.calendar import LA_HOLIDAY_COVER, la_covers_setting
from service.laworkspace.dashboard import (
    DashboardRows,
    DurationSummary,
    Period,
    median_of_middle,
    months_before,
)
from service.localauthorities import service as la_service
from service.localauthorities.models import LocalAuthority
from service.notifications.models import (
    HOLIDAY_COVER_QUEUE,
    LA_QUEUES,
    Incident,
    Notification,
    NotificationAction,
    NotificationEvent,
)
from service.notifications import lifecycle
from service.notifications.scope import Scope, get_notification, scoped_notifications, visible_actions
from service.police.models import PoliceForce
from service.problems import NotFound
from service.register.models import Setting
from service.register.service import search_settings

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

# What an officer records having done. Stored as NotificationAction.action.
OUTCOMES = {
    "contacted_home_education_officer": "Contacted the family's home education officer",
    "child_located_at_setting": "Child located at a setting",
    "passed_to_another_la": "Passed to another local authority",
    "education_welfare_contacted_family": "Education welfare contacted the family",
    "no_further_action": "No further action",
    "other": "Other",
}
REROUTE_ACTION = lifecycle.HAND_OVER_REASON

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
}

STATUS_LABELS = {
    "received": "New", "delivered": "Delivered", "viewed": "Viewed", "acknowledged": "Acknowledged",
    "closed": "Closed", "escalated": "Escalated", "rerouted": "Re-routed",
}

ASSIGNED_FILTERS = {"anyone": "Anyone", "me": "Me", "unassigned": "Nobody"}
PAGE_SIZE = 25
REASON_MAX = 1000
NOTE_MAX = 4000


class FormErrors(Exception):
    """A form the officer must correct: {field_id: message}, in page order, for the GOV.UK error summary."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Officer:
    """The acting LA officer as plain data; every query below is narrowed by their scope."""

    id: int
    la_codes: frozenset[str]
    source: str = "la_portal"

    @property
    def scope(self) -> Scope:
        return Scope(la_codes=self.la_codes)

    @property
    def actor(self) -> Actor:
        return Actor(type="user", id=str(self.id), source=self.source)


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


# ---------------------------------------------------------------- queues


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
    assigned_to: str | None


@dataclass(frozen=True)
class QueuePage:
    queue: str
    items: list[QueueItem]
    total: int
    filters: QueueFilters
    page_count: int


def child_name(notification: Notification) -> str:
    name = " ".join(part for part in (notification.given_name, notification.family_name) if part)
    return name or "Name removed"


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
    items = [
        QueueItem(
            id=n.id, child_name=child_name(n), age=n.age_at_incident, education_status=n.education_status,
            la_code=n.recipient_la_code, received_at=n.received_at, acknowledge_by=n.acknowledge_by, status=n.status,
            overdue=bool(n.acknowledge_by and n.acknowledged_at is None and n.acknowledge_by < now),
            routing_method=n.routing_method, routing_reason=n.routing_reason, routing_score=n.routing_score,
            candidates=tuple(n.routing_candidates or ()), intended_urn=n.intended_urn, recipient_urn=n.recipient_urn,
            assigned_to=names.get(n.assigned_officer_id),
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


# ---------------------------------------------------------------- one item


@dataclass(frozen=True)
class OfficerChoice:
    id: int
    display_name: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    text: str
    by: str | None = None
    note: str | None = None


@dataclass
class WorkItem:
    notification: Notification
    incident: Incident
    force_name: str
    child_name: str
    owner_label: str
    owned_by_la: bool
    intended_setting: str | None
    original_candidates: list[dict]
    assigned_to: OfficerChoice | None
    officers: list[OfficerChoice]
    outcomes: list[HistoryEntry]
    history: list[HistoryEntry]
    is_open: bool
    can_acknowledge: bool
    can_close: bool
    queue_title: str | None = None
    holiday_cover: bool = False  # a closed setting's notification that the LA's holiday cover team works
    la_contacts: LocalAuthority | None = None
    other_las: list[LocalAuthority] = field(default_factory=list)


def _locked(session: Session, officer: Officer, notification_id: str) -> Notification:
    """The notification within the officer's scope, locked against a concurrent change (the worker, another officer)."""
    return get_notification(session, officer.scope, notification_id, for_update=True)


def _scoped(session: Session, officer: Officer, notification_id: str) -> Notification:
    return get_notification(session, officer.scope, notification_id)


def _held_by_holiday_cover(notification: Notification) -> bool:
    """The setting holds it but is closed for the holiday, so the LA's cover team views, acknowledges and is chased."""
    return la_covers_setting(covered_by=notification.covered_by, recipient_urn=notification.recipient_urn)


def _setting_label(session: Session, urn: str | None) -> str | None:
    if not urn:
        return None
    setting = session.get(Setting, urn)
    return f"{setting.name} (URN {urn})" if setting else f"URN {urn}"


def _la_label(session: Session, code: str | None) -> str:
    authority = la_service.get_local_authority(session, code)
    return f"{authority.name} ({code})" if authority else f"Local authority {code}"


def officers_of(session: Session, la_code: str | None) -> list[OfficerChoice]:
    """Active officers of one LA: who an item may be assigned to."""
    if not la_code:
        return []
    rows = session.exec(
        select(User).join(LaMembership, LaMembership.user_id == User.id)
        .where(LaMembership.la_code == la_code, User.kind == "la_officer", User.is_active)
        .order_by(User.display_name, User.id)
    )
    return [OfficerChoice(id=u.id, display_name=u.display_name) for u in rows]


def view_item(session: Session, officer: Officer, notification_id: str, *, now: datetime | None = None) -> WorkItem:
    """Everything an officer needs to work one item. Audited; the first view by the LA that owns it counts as viewed."""
    now = now or utcnow()
    notification = _scoped(session, officer, notification_id)
    owned_by_la = notification.recipient_urn is None
    holiday_cover = _held_by_holiday_cover(notification)
    lifecycle.record_view(session, notification, actor=officer.actor, now=now,
                          by_owner=(owned_by_la or holiday_cover) and notification.closed_at is None,
                          la_code=notification.recipient_la_code, source_page="la_item")

    incident = session.get(Incident, notification.incident_id)
    force = session.get(PoliceForce, notification.force_id)
    officers = officers_of(session, notification.recipient_la_code)
    assigned = next((o for o in officers if o.id == notification.assigned_officer_id), None)
    if assigned is None and notification.assigned_officer_id:
        user = session.get(User, notification.assigned_officer_id)
        assigned = OfficerChoice(user.id, user.display_name) if user else None
    is_open = notification.closed_at is None and notification.superseded_by_id is None
    return WorkItem(
        notification=notification, incident=incident, force_name=force.name if force else notification.force_id,
        child_name=child_name(notification),
        owner_label=_setting_label(session, notification.recipient_urn) or _la_label(session, notification.recipient_la_code),
        owned_by_la=owned_by_la, intended_setting=_setting_label(session, notification.intended_urn),
        original_candidates=list(notification.routing_candidates or []),
        assigned_to=assigned, officers=officers,
        outcomes=_outcomes(session, officer, notification.id), history=_history(session, notification.id),
        is_open=is_open,
        can_acknowledge=is_open and (owned_by_la or holiday_cover) and notification.acknowledged_at is None,
        can_close=is_open and (owned_by_la or notification.la_queue is not None),
        queue_title=QUEUE_TITLES.get(notification.la_queue) if is_open else None,
        holiday_cover=holiday_cover,
        la_contacts=la_service.get_local_authority(session, notification.recipient_la_code),
        other_las=la_choices(session),
    )


def action_label(action: str) -> str:
    """Words for a recorded action, whoever recorded it (an officer, or a Key Adult with their own list)."""
    if action in OUTCOMES:
        return OUTCOMES[action]
    if action == REROUTE_ACTION:
        return "Re-routed"
    from service.keyadult.service import ACTIONS as SETTING_ACTIONS  # the Key Adult portal owns its own list

    return SETTING_ACTIONS.get(action) or action.replace("_", " ").capitalize()


def _outcomes(session: Session, officer: Officer, notification_id: str) -> list[HistoryEntry]:
    rows = session.exec(
        select(NotificationAction, User.display_name).join(User, User.id == NotificationAction.recorded_by)
        .where(NotificationAction.notification_id == notification_id, visible_actions(officer.scope))
        .order_by(NotificationAction.recorded_at, NotificationAction.id)
    ).all()
    return [HistoryEntry(at=action.recorded_at, text=action_label(action.action), by=name, note=action.note) for action, name in rows]


EVENT_WORDS = {
    "received": "Received from police", "viewed": "Viewed", "acknowledged": "Acknowledged", "closed": "Closed",
    "escalated": "Escalated to the local authority", "rerouted": "Re-routed", "deputies_alerted": "Deputies alerted",
    "assigned": "Assigned", "superseded": "Replaced by a corrected version", "escalation_resolved": "Taken out of the escalated queue",
    "sent_back": "Sent back by the setting", "onboarded": "Handed to the setting's new Key Adult", "delivered": "Alert sent",
}


def _history(session: Session, notification_id: str) -> list[HistoryEntry]:
    events = session.exec(
        select(NotificationEvent).where(NotificationEvent.notification_id == notification_id)
        .order_by(NotificationEvent.at, NotificationEvent.id)
    )
    entries = []
    for event in events:
        kind = (event.detail or {}).get("event") or event.status
        text = EVENT_WORDS.get(kind, kind.replace("_", " ").capitalize())
        detail = event.detail or {}
        if kind == "escalation_resolved" and detail.get("from_queue") == HOLIDAY_COVER_QUEUE:
            text = "Taken out of the holiday cover queue"
        if kind in ("rerouted", "onboarded"):
            text += " to " + (f"setting URN {detail['to_urn']}" if detail.get("to_urn") else f"local authority {detail.get('to_la_code')}")
        entries.append(HistoryEntry(at=event.at, text=text))
    return entries


# ---------------------------------------------------------------- register search for re-routing


@dataclass(frozen=True)
class SettingChoice:
    urn: str
    name: str
    la_code: str
    la_name: str
    type_name: str
    status: str
    age_range: str
    is_open: bool
    onboarded: bool


def _onboarded(session: Session, urns: list[str]) -> set[str]:
    if not urns:
        return set()
    return set(session.exec(
        select(SettingMembership.urn).join(User, User.id == SettingMembership.user_id)
        .where(SettingMembership.urn.in_(urns), SettingMembership.role == "key_adult", User.is_active)
    ))


def setting_choices(session: Session, text: str, *, limit: int = 20) -> list[SettingChoice]:
    """Settings matching a name or URN typed by the officer, saying which can receive a notification now."""
    text = (text or "").strip()[:100]
    if len(text) < 2:
        return []
    settings = search_settings(session, text, limit=limit)
    onboarded = _onboarded(session, [s.urn for s in settings])
    return [
        SettingChoice(
            urn=s.urn, name=s.name, la_code=s.la_code, la_name=s.la_name, type_name=s.type_name, status=s.status,
            age_range=f"{s.low_age} to {s.high_age}" if s.low_age is not None and s.high_age is not None else "",
            is_open=s.status.startswith("Open"), onboarded=s.urn in onboarded,
        )
        for s in settings
    ]


def la_choices(session: Session) -> list[LocalAuthority]:
    return list(session.exec(select(LocalAuthority).order_by(LocalAuthority.name)))


# ---------------------------------------------------------------- actions on an item


def _require_open(notification: Notification, field_id: str) -> None:
    if notification.superseded_by_id is not None:
        raise FormErrors({field_id: "Police sent a corrected version of this notification. Work the corrected version instead."})
    if notification.closed_at is not None:
        raise FormErrors({field_id: "This notification is closed."})


def assign(session: Session, officer: Officer, notification_id: str, officer_id: str | None, *, now: datetime | None = None) -> None:
    """Assigns the item to an officer of the LA that holds it; an empty choice takes the assignment away."""
    now = now or utcnow()
    notification = _locked(session, officer, notification_id)
    _require_open(notification, "assigned-officer")
    chosen: int | None = None
    if officer_id:
        allowed = {o.id for o in officers_of(session, notification.recipient_la_code)}
        chosen = int(officer_id) if officer_id.isdigit() and int(officer_id) in allowed else None
        if chosen is None:
            raise FormErrors({"assigned-officer": "Choose an officer from the list"})
    lifecycle.assign(session, notification, officer_id=chosen, actor=officer.actor, now=now)


@dataclass(frozen=True)
class RerouteResult:
    notification_id: str
    to_urn: str | None
    to_la_code: str
    owner_label: str
    from_queue: str | None
    still_visible: bool  # False when the new owner is outside the officer's LAs


def _queue_for_another_la(notification: Notification) -> str:
    return "not_in_school" if notification.education_status in NOT_IN_SCHOOL_STATUSES else "to_resolve"


def reroute(
    session: Session, officer: Officer, notification_id: str, *, target: str, urn: str | None = None,
    la_code: str | None = None, reason: str, now: datetime | None = None,
) -> RerouteResult:
    """Gives the notification a new owner: a setting from the register, or another LA's education service.

    The original routing decision is left as made. The new owner gets a fresh deadline from their own calendar and
    an alert in this same transaction; the reason is kept as a note, and the audit trail records who and when.
    """
    now = now or utcnow()
    prefix = "reroute-setting" if target == "setting" else "reroute-la"
    notification = _locked(session, officer, notification_id)
    _require_open(notification, f"{prefix}-reason")
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    setting: Setting | None = None
    authority: LocalAuthority | None = None
    if target == "setting":
        setting = session.get(Setting, (urn or "").strip()) if urn else None
        if setting is None:
            errors["reroute-setting-urn"] = "Choose the setting to send this notification to"
        elif not setting.status.startswith("Open"):
            errors["reroute-setting-urn"] = "Choose an open setting: this one is closed"
        elif setting.urn == notification.recipient_urn:
            errors["reroute-setting-urn"] = "Choose a different setting: this notification is already with this one"
        elif setting.urn not in _onboarded(session, [setting.urn]):
            errors["reroute-setting-urn"] = ("This setting has no active Key Adult, so nobody there could read it. "
                                             "Invite a Key Adult first, or keep the notification with the local authority")
    elif target == "la":
        authority = la_service.get_local_authority(session, la_code)
        if authority is None:
            errors["reroute-la-code"] = "Choose the local authority to send this notification to"
        elif notification.recipient_urn is None and authority.code == notification.recipient_la_code:
            errors["reroute-la-code"] = "Choose a different local authority: this notification is already with this one"
    else:
        raise FormErrors({"reroute-setting-urn": "Choose where to send this notification"})
    if not reason:
        errors[f"{prefix}-reason"] = "Enter why you are re-routing this notification"
    elif len(reason) > REASON_MAX:
        errors[f"{prefix}-reason"] = f"The reason must be {REASON_MAX} characters or fewer"
    if errors:
        raise FormErrors(errors)

    if setting is not None:
        new_owner = lifecycle.NewOwner(urn=setting.urn, la_code=setting.la_code)
    else:
        # Another LA must still see it in a queue, or the child would be waiting on nobody.
        new_owner = lifecycle.NewOwner(urn=None, la_code=authority.code, la_queue=_queue_for_another_la(notification))
    from_queue = notification.la_queue
    reason_row = lifecycle.record_action(session, notification, action=REROUTE_ACTION, note=reason, recorded_by=officer.id,
                                         now=now, by_setting=False, for_owner=new_owner)
    lifecycle.hand_over(session, notification, to=new_owner, because=lifecycle.HandOver.REROUTED, actor=officer.actor,
                        now=now, reason_action_id=reason_row.id)
    return RerouteResult(
        notification_id=notification.id, to_urn=notification.recipient_urn, to_la_code=notification.recipient_la_code,
        owner_label=_setting_label(session, notification.recipient_urn) or _la_label(session, notification.recipient_la_code),
        from_queue=from_queue, still_visible=notification.recipient_la_code in officer.la_codes,
    )


def acknowledge(session: Session, officer: Officer, notification_id: str, *, now: datetime | None = None) -> None:
    """The LA acknowledges an item it owns, or one its holiday cover team holds for a closed setting, which stops the
    escalation clock. Settings acknowledge their own."""
    now = now or utcnow()
    notification = _locked(session, officer, notification_id)
    _require_open(notification, "acknowledge")
    if notification.recipient_urn is not None and not _held_by_holiday_cover(notification):
        raise FormErrors({"acknowledge": "A setting holds this notification, so only its Key Adult can acknowledge it"})
    # A second click, or a second officer, finds it already done.
    lifecycle.acknowledge(session, notification, actor=officer.actor, now=now, la_code=notification.recipient_la_code,
                          holiday_cover=_held_by_holiday_cover(notification))


@dataclass(frozen=True)
class OutcomeForm:
    outcome: str
    note: str
    close: bool


def check_outcome_form(form: OutcomeForm) -> dict[str, str]:
    errors = {}
    if form.outcome not in OUTCOMES:
        errors["outcome"] = "Select what happened"
    if form.outcome == "other" and not form.note.strip():
        errors["outcome-note"] = "Enter a note saying what happened"
    elif len(form.note) > NOTE_MAX:
        errors["outcome-note"] = f"The note must be {NOTE_MAX} characters or fewer"
    return errors


def record_outcome(session: Session, officer: Officer, notification_id: str, form: OutcomeForm, *, now: datetime | None = None) -> bool:
    """Records what the officer did, with a note. Closing takes it out of the queue. Returns whether it was closed."""
    now = now or utcnow()
    notification = _locked(session, officer, notification_id)
    if notification.superseded_by_id is not None:
        raise FormErrors({"outcome": "Police sent a corrected version of this notification. Work the corrected version instead."})
    errors = check_outcome_form(form)
    if form.close and notification.closed_at is not None:
        errors.setdefault("outcome-close", "This notification is already closed")
    elif form.close and notification.recipient_urn is not None and notification.la_queue is None:
        errors.setdefault("outcome-close", "A setting holds this notification, so only the setting can close it")
    if errors:
        raise FormErrors(errors)
    action = lifecycle.record_action(session, notification, action=form.outcome, note=form.note.strip(),
                                     recorded_by=officer.id, now=now, by_setting=False)
    audit_service.record(session, officer.actor, "notification.outcome_recorded", "notification", notification.id,
                         outcome=form.outcome, action_id=action.id, la_code=notification.recipient_la_code)
    if not form.close:
        return False
    if notification.recipient_urn is None:
        lifecycle.close(session, notification, actor=officer.actor, now=now, leave_queue=True, action_id=action.id)
    else:
        # A setting still holds it: the LA's part (chasing an escalation, say) is done, the setting's is not.
        lifecycle.leave_queue(session, notification, actor=officer.actor, now=now, action_id=action.id)
    return True


# ---------------------------------------------------------------- oversight queries


def _seconds_between(session: Session, start, end):
    """Elapsed seconds between two timestamp columns, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _duration_summary(session: Session, base, seconds, *, within: float | None = None) -> DurationSummary:
    """Count, median and (optionally) how many are within a limit: aggregates plus the one or two middle rows."""
    within_expr = sa.func.sum(sa.case((seconds <= within, 1), else_=0)) if within is not None else sa.literal(0)
    count, within_count = session.execute(base.with_only_columns(sa.func.count(), within_expr).select_from(Notification)).one()
    if not count:
        return DurationSummary(count=0, median_seconds=None, within=0)
    middle = [row[0] for row in session.execute(
        base.with_only_columns(seconds).select_from(Notification).order_by(seconds).offset((count - 1) // 2).limit(2 - count % 2)
    )]
    return DurationSummary(count=count, median_seconds=median_of_middle(middle), within=int(within_count or 0))


def oversight_rows(session: Session, officer: Officer, period: Period, *, now: datetime | None = None, top_settings: int = 10,
                   la_code: str | None = None) -> DashboardRows:
    """The oversight figures' raw counts for the officer's LAs over a period, each an aggregate query (GROUP BY)."""
    now = now or utcnow()
    scope = officer.scope if la_code is None else Scope(la_codes=officer.la_codes & {la_code})
    start, end = period.utc_bounds()
    live = scoped_notifications(scope).where(Notification.superseded_by_id.is_(None))
    in_period = live.where(Notification.received_at >= start, Notification.received_at < end)

    total = session.exec(in_period.with_only_columns(sa.func.count()).select_from(Notification)).one()

    latest_action = (
        select(sa.func.max(NotificationAction.id)).where(NotificationAction.notification_id == Notification.id)
        .correlate(Notification).scalar_subquery()
    )
    outcome = (
        select(NotificationAction.action).where(NotificationAction.id == latest_action).correlate(Notification).scalar_subquery()
    ).label("outcome")
    outcomes = in_period.with_only_columns(outcome).select_from(Notification).subquery()
    by_outcome = [(row[0], row[1]) for row in session.execute(
        select(outcomes.c.outcome, sa.func.count()).group_by(outcomes.c.outcome)
    )]

    by_setting = [(row[0], row[1], row[2]) for row in session.execute(
        in_period.where(Notification.recipient_urn.is_not(None))
        .with_only_columns(Notification.recipient_urn, Setting.name, sa.func.count().label("n"))
        .select_from(Notification).outerjoin(Setting, Setting.urn == Notification.recipient_urn)
        .group_by(Notification.recipient_urn, Setting.name)
        .order_by(sa.desc("n"), Notification.recipient_urn).limit(top_settings)
    )]
    held_by_la = session.exec(
        in_period.where(Notification.recipient_urn.is_(None), Notification.routing_outcome != "not_routed")
        .with_only_columns(sa.func.count()).select_from(Notification)
    ).one()

    police_delay = _seconds_between(session, Incident.occurred_at, Notification.received_at)
    police = _duration_summary(session, in_period.join(Incident, Incident.id == Notification.incident_id), police_delay,
                               within=24 * 3600)

    ack_delay = _seconds_between(session, Notification.received_at, Notification.acknowledged_at)
    acknowledgement = _duration_summary(session, in_period.where(Notification.acknowledged_at.is_not(None)), ack_delay)

    due = in_period.where(
        Notification.acknowledge_by.is_not(None),
        sa.or_(Notification.acknowledged_at.is_not(None), Notification.acknowledge_by < now),
    )
    met = sa.func.sum(sa.case((Notification.acknowledged_at <= Notification.acknowledge_by, 1), else_=0))
    due_count, met_count = session.execute(due.with_only_columns(sa.func.count(), met).select_from(Notification)).one()

    overdue_now = session.exec(
        live.where(Notification.closed_at.is_(None), Notification.acknowledged_at.is_(None),
                   Notification.acknowledge_by < now)
        .with_only_columns(sa.func.count()).select_from(Notification)
    ).one()

    window_start = Period(months_before(period.end, 3), period.end).utc_bounds()[0]
    repeated = (
        live.where(Notification.child_key.is_not(None), Notification.received_at >= window_start, Notification.received_at < end)
        .with_only_columns(Notification.child_key).select_from(Notification)
        .group_by(Notification.child_key).having(sa.func.count() >= 3).subquery()
    )
    repeat_children = session.exec(select(sa.func.count()).select_from(repeated)).one()

    return DashboardRows(
        total=total, by_outcome=by_outcome, by_setting=by_setting, held_by_la=held_by_la, police=police,
        acknowledgement=acknowledgement, due=due_count or 0, met=int(met_count or 0), overdue_now=overdue_now,
        repeat_children=repeat_children, repeat_window_start=months_before(period.end, 3),
    )


def record_dashboard_view(session: Session, officer: Officer, period: Period, *, export: bool) -> None:
    audit_service.record(session, officer.actor, "oversight.exported" if export else "oversight.viewed", "local_authority",
                         ",".join(sorted(officer.la_codes)), first_day=period.start.isoformat(), last_day=period.end.isoformat())


# ---------------------------------------------------------------- the LA's configuration


def editable_authority(session: Session, officer: Officer, la_code: str) -> LocalAuthority:
    """One of the officer's own LAs, configured or not; any other code is not found."""
    if la_code not in officer.la_codes:
        raise NotFound("No such local authority.")
    authority = la_service.get_local_authority(session, la_code)
    if authority is None:
        raise NotFound("This local authority has not been set up yet.")
    return authority


def update_configuration(session: Session, officer: Officer, la_code: str, form: Mapping[str, str]) -> list[str]:
    """Checks and saves the officer's edit of their LA's configuration. Returns the fields changed; audited."""
    authority = editable_authority(session, officer, la_code)
    values, errors = la_service.parse_config_form(form)
    if errors:
        raise FormErrors(errors)
    changed = la_service.apply_configuration(session, authority, values)
    if changed:
        audit_service.record(session, officer.actor, "local_authority.configured", "local_authority", la_code, fields=changed)
    return changed

