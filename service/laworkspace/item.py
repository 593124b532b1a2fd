"""One notification as an LA officer works it: the item page, assigning, acknowledging and recording outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from service.accounts.models import LaMembership, User
from service.accounts.onboarded import active_key_adult_urns
from service.audit import service as audit_service
from service.db import utcnow
from service.deadlines.calendar import la_covers_setting
from service.keyadult.service import ACTIONS as SETTING_ACTIONS  # the Key Adult portal owns its own list
from service.deadlines import is_overdue
from service.laworkspace.handovers import LatestHandOver, latest_hand_overs
from service.laworkspace.officer import Officer
from service.laworkspace.queues import QUEUE_TITLES, child_name
from service.localauthorities import service as la_service
from service.localauthorities.models import LocalAuthority
from service.notifications import lifecycle
from service.notifications.models import (
    HOLIDAY_COVER_QUEUE,
    Incident,
    Notification,
    NotificationAction,
    NotificationEvent,
)
from service.notifications.scope import get_notification, visible_actions
from service.police.models import PoliceForce
from service.problems import FormInvalid
from service.register.service import closed_settings, setting_labels

# What an officer records having done, in words. Stored as NotificationAction.action. Values are never removed:
# an outcome recorded under an older list must still read properly on the case page and the dashboard.
OUTCOME_LABELS = {
    # children at, or meant for, a setting
    "child_located_at_setting": "Child located at a setting",
    "setting_safeguarding_lead_contacted": "Contacted the setting's designated safeguarding lead",
    # home education
    "contacted_home_education_officer": "Contacted the family's home education officer",
    "home_education_visit_arranged": "Home education visit or review arranged",
    # missing education
    "missing_education_enquiries_started": "Children missing education enquiries started",
    "child_moved_out_of_area": "Child found to have moved out of the area",
    # no school place
    "in_year_admission_under_way": "School place being arranged (in-year admission)",
    "school_place_offered": "School place offered",
    "fair_access_referral": "Referred to the fair access panel",
    # 16 and 17 year olds not in education or training
    "post16_participation_team_contacted": "Post-16 participation team contacted the young person",
    "post16_support_offered": "Offered careers or participation support",
    "young_person_in_education_or_training": "Young person found to be in education, training or work with training",
    # any child
    "education_welfare_contacted_family": "Education welfare contacted the family",
    "passed_to_another_la": "Passed to another local authority",
    "no_further_action": "No further action",
    "other": "Other",
}

_EVERY_CHILD = ("education_welfare_contacted_family", "passed_to_another_la", "no_further_action", "other")
_AT_A_SETTING = ("child_located_at_setting", "setting_safeguarding_lead_contacted")

# The outcomes offered for each kind of child (the notification's education status); any other status gets the
# setting list, since the LA holds it to find or reach the child's setting.
OUTCOMES_BY_EDUCATION_STATUS = {
    "elective_home_education": ("contacted_home_education_officer", "home_education_visit_arranged",
                                "child_located_at_setting", *_EVERY_CHILD),
    "missing_education": ("missing_education_enquiries_started", "child_located_at_setting", "child_moved_out_of_area",
                          *_EVERY_CHILD),
    "no_school_place": ("in_year_admission_under_way", "school_place_offered", "fair_access_referral", *_EVERY_CHILD),
    "not_in_education_employment_training": ("post16_participation_team_contacted", "post16_support_offered",
                                             "young_person_in_education_or_training", "child_moved_out_of_area",
                                             *_EVERY_CHILD),
}
SETTING_OUTCOMES = (*_AT_A_SETTING, *_EVERY_CHILD)


def outcome_choices(education_status: str | None) -> dict[str, str]:
    """The outcomes an officer may record for this kind of child, in the order the form offers them. Pure."""
    return {value: OUTCOME_LABELS[value] for value in OUTCOMES_BY_EDUCATION_STATUS.get(education_status, SETTING_OUTCOMES)}


NOTE_MAX = 4000


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
    onboarded_candidates: frozenset[str]  # the candidates' URNs that have an active Key Adult to send to
    closed_candidates: frozenset[str]  # the candidates' URNs that have closed since
    assigned_to: OfficerChoice | None
    officers: list[OfficerChoice]
    outcomes: list[HistoryEntry]
    history: list[HistoryEntry]
    is_open: bool
    can_acknowledge: bool
    overdue: bool  # past the owner's deadline and not yet acknowledged
    can_close: bool
    queue_title: str | None = None
    holiday_cover: bool = False  # a closed setting's notification that the LA's holiday cover team works
    la_contacts: LocalAuthority | None = None
    other_las: list[LocalAuthority] = field(default_factory=list)
    outcome_choices: dict[str, str] = field(default_factory=dict)
    hand_over: LatestHandOver | None = None
    other_children: list[OtherChild] = field(default_factory=list)
    other_settings: list[OtherChild] = field(default_factory=list)  # the same child at their other settings


@dataclass(frozen=True)
class OtherChild:
    """Another child of the same incident, with who holds them. Named and linked only where this officer may see them."""

    notification_id: str | None  # set only when the officer may open it
    name: str | None
    age: int | None
    owner_label: str


def other_children(session: Session, officer: Officer, notification: Notification, *,
                   same_child: bool = False) -> list[OtherChild]:
    """The incident's other children, in the order police listed them; or, with same_child, this child's
    notifications for their other settings (police's other_settings). Outside the officer's scope a child is shown
    by age and owner only: enough to know someone else holds them, nothing more."""
    same = Notification.child_reference == notification.child_reference
    siblings = list(session.exec(
        select(Notification).where(Notification.incident_id == notification.incident_id, Notification.id != notification.id,
                                   same if same_child else ~same,
                                   # police withdrew it (wrong child): nobody is shown it, here or anywhere
                                   Notification.withdrawn_at.is_(None), Notification.superseded_by_id.is_(None))
        .order_by(Notification.child_reference, Notification.setting_position, Notification.id)
    ))
    children = []
    for sibling in siblings:
        visible = officer.scope.holds(urn=sibling.recipient_urn, la_code=sibling.recipient_la_code)
        children.append(OtherChild(
            notification_id=sibling.id if visible else None, name=child_name(sibling) if visible else None,
            age=sibling.age_at_incident, owner_label=owner_label(session, sibling),
        ))
    return children


def owner_label(session: Session, notification: Notification) -> str:
    """Who holds a notification, in words: the setting, the LA, or nobody when it is outside the scheme."""
    if notification.recipient_urn is None and notification.recipient_la_code is None:
        return "Nobody: outside the scheme" if notification.routing_outcome == "not_routed" else "Nobody yet"
    return setting_label(session, notification.recipient_urn) or la_label(session, notification.recipient_la_code)


def locked(session: Session, officer: Officer, notification_id: str) -> Notification:
    """The notification within the officer's scope, locked against a concurrent change (the worker, another officer)."""
    return get_notification(session, officer.scope, notification_id, for_update=True)


def _scoped(session: Session, officer: Officer, notification_id: str) -> Notification:
    return get_notification(session, officer.scope, notification_id)


def held_by_holiday_cover(notification: Notification) -> bool:
    """The setting holds it but is closed for the holiday, so the LA's cover team views, acknowledges and is chased."""
    return la_covers_setting(covered_by=notification.covered_by, recipient_urn=notification.recipient_urn)


def setting_label(session: Session, urn: str | None) -> str | None:
    return setting_labels(session, [urn]).get(urn) if urn else None


def la_label(session: Session, code: str | None) -> str:
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


def view_item(session: Session, officer: Officer, notification_id: str, *, now: datetime | None = None,
              record: bool = True) -> WorkItem:
    """Everything an officer needs to work one item. Audited; the first view by the LA that owns it counts as viewed.
    With record=False (a form shown again around its errors) it only reads."""
    now = now or utcnow()
    notification = _scoped(session, officer, notification_id)
    owned_by_la = notification.recipient_urn is None
    holiday_cover = held_by_holiday_cover(notification)
    if record:
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
    candidate_urns = [c["urn"] for c in notification.routing_candidates or [] if c.get("urn")]
    return WorkItem(
        notification=notification, incident=incident, force_name=force.name if force else notification.force_id,
        child_name=child_name(notification),
        owner_label=setting_label(session, notification.recipient_urn) or la_label(session, notification.recipient_la_code),
        owned_by_la=owned_by_la, intended_setting=setting_label(session, notification.intended_urn),
        original_candidates=list(notification.routing_candidates or []),
        onboarded_candidates=frozenset(active_key_adult_urns(session, candidate_urns)),
        closed_candidates=closed_settings(session, candidate_urns),
        assigned_to=assigned, officers=officers,
        outcomes=_outcomes(session, officer, notification.id), history=_history(session, notification.id),
        is_open=is_open,
        can_acknowledge=is_open and (owned_by_la or holiday_cover) and notification.acknowledged_at is None,
        overdue=is_open and is_overdue(notification.acknowledge_by, notification.acknowledged_at, now),
        can_close=is_open and (owned_by_la or notification.la_queue is not None),
        queue_title=QUEUE_TITLES.get(notification.la_queue) if is_open else None,
        holiday_cover=holiday_cover,
        la_contacts=la_service.get_local_authority(session, notification.recipient_la_code),
        other_las=la_choices(session), outcome_choices=outcome_choices(notification.education_status),
        hand_over=latest_hand_overs(session, officer.scope, [notification.id]).get(notification.id),
        other_children=other_children(session, officer, notification),
        other_settings=other_children(session, officer, notification, same_child=True),
    )


def action_label(action: str) -> str:
    """Words for a recorded action, whoever recorded it (an officer, or a Key Adult with their own list)."""
    if action in OUTCOME_LABELS:
        return OUTCOME_LABELS[action]
    if action == lifecycle.HAND_OVER_REASON:
        return "Re-routed"
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
    "sent_back": "Sent back by the setting", "onboarded": "Handed to the setting's new Key Adult", "delivered": "Alert delivered", "sent": "Alert sent",
    "key_adult_not_reached": "The Key Adult's email bounced: deputies and the LA told",
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


def la_choices(session: Session) -> list[LocalAuthority]:
    return list(session.exec(select(LocalAuthority).order_by(LocalAuthority.name)))


def require_open(notification: Notification, field_id: str) -> None:
    if notification.superseded_by_id is not None:
        raise FormInvalid({field_id: "Police sent a corrected version of this notification. Work the corrected version instead."})
    if notification.closed_at is not None:
        raise FormInvalid({field_id: "This notification is closed."})


def assign(session: Session, officer: Officer, notification_id: str, officer_id: str | None, *, now: datetime | None = None) -> None:
    """Assigns the item to an officer of the LA that holds it; an empty choice takes the assignment away."""
    now = now or utcnow()
    notification = locked(session, officer, notification_id)
    require_open(notification, "assigned-officer")
    chosen: int | None = None
    if officer_id:
        allowed = {o.id for o in officers_of(session, notification.recipient_la_code)}
        chosen = int(officer_id) if officer_id.isdigit() and int(officer_id) in allowed else None
        if chosen is None:
            raise FormInvalid({"assigned-officer": "Choose an officer from the list"})
    lifecycle.assign(session, notification, officer_id=chosen, actor=officer.actor, now=now)


def acknowledge(session: Session, officer: Officer, notification_id: str, *, now: datetime | None = None) -> None:
    """The LA acknowledges an item it owns, or one its holiday cover team holds for a closed setting, which stops the
    escalation clock. Settings acknowledge their own."""
    now = now or utcnow()
    notification = locked(session, officer, notification_id)
    require_open(notification, "acknowledge")
    if notification.recipient_urn is not None and not held_by_holiday_cover(notification):
        raise FormInvalid({"acknowledge": "A setting holds this notification, so only its Key Adult can acknowledge it"})
    # A second click, or a second officer, finds it already done.
    lifecycle.acknowledge(session, notification, actor=officer.actor, now=now, la_code=notification.recipient_la_code,
                          holiday_cover=held_by_holiday_cover(notification))


@dataclass(frozen=True)
class OutcomeForm:
    outcome: str
    note: str
    close: bool


def check_outcome_form(form: OutcomeForm, education_status: str | None) -> dict[str, str]:
    """Errors by field id. Only the outcomes offered for this kind of child are accepted. Pure."""
    errors = {}
    if form.outcome not in outcome_choices(education_status):
        errors["outcome"] = "Select what happened"
    if form.outcome == "other" and not form.note.strip():
        errors["outcome-note"] = "Enter a note saying what happened"
    elif len(form.note) > NOTE_MAX:
        errors["outcome-note"] = f"The note must be {NOTE_MAX} characters or fewer"
    return errors


def record_outcome(session: Session, officer: Officer, notification_id: str, form: OutcomeForm, *, now: datetime | None = None) -> bool:
    """Records what the officer did, with a note. Closing takes it out of the queue. Returns whether it was closed."""
    now = now or utcnow()
    notification = locked(session, officer, notification_id)
    if notification.superseded_by_id is not None:
        raise FormInvalid({"outcome": "Police sent a corrected version of this notification. Work the corrected version instead."})
    errors = check_outcome_form(form, notification.education_status)
    if form.close and notification.closed_at is not None:
        errors.setdefault("outcome-close", "This notification is already closed")
    elif form.close and notification.recipient_urn is not None and notification.la_queue is None:
        errors.setdefault("outcome-close", "A setting holds this notification, so only the setting can close it")
    if errors:
        raise FormInvalid(errors)
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
