"""What a Key Adult or deputy does with their settings' notifications: inbox, read, acknowledge, record, send back, close."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.accounts.models import User
from service.audit import service as audit_service
from service.audit.service import Actor
from service.dates import months_before
from service.deadlines import is_overdue
from service.keyadult.guidance import Guidance, guidance_for
from service.localauthorities import service as la_service
from service.notifications import lifecycle
from service.notifications.models import Incident, Notification, NotificationAction, NotificationEvent
from service.notifications.scope import Scope, get_notification, scoped_notifications, visible_actions
from service.police.models import PoliceForce
from service.problems import FormInvalid
from service.register.models import Setting

CHRONOLOGY_LIMIT = 50
# Police refer automatically after three or more incidents in three months; the setting sees the same pattern.
REPEAT_WINDOW_MONTHS = 3
REPEAT_THRESHOLD = 3
NOTE_MAX_LENGTH = 4000

ACTIONS: dict[str, str] = {
    "observed_no_concerns": "Observed, no concerns",
    "support_in_school": "Support in school",
    "early_help": "Early help",
    "social_care_referral": "Referral to children's social care",
    "helpline_consulted": "Consulted the Operation Encompass helpline",
    "not_on_roll": "Not on our roll \u2013 sent back to the local authority",
    "other": "Other",
}
SEND_BACK = "not_on_roll"
# "Record what you did" offers these. Sending back is not among them: it has its own page that names the child and
# asks why, so nobody hands a child back to the LA by picking the wrong radio button.
OFFERED_ACTIONS: dict[str, str] = {action: label for action, label in ACTIONS.items() if action != SEND_BACK}
NOTE_REQUIRED = frozenset({"other"})
RISK_ORDER = ("high", "medium", "not_assessed", "standard")  # unassessed risk may be high: it comes before standard


@dataclass(frozen=True)
class StaffMember:
    """The Key Adult or deputy acting, as plain data: who they are and which settings (URNs) they belong to."""

    user_id: int
    urns: frozenset[str]
    source: str = "portal"

    @property
    def scope(self) -> Scope:
        return Scope(urns=self.urns)

    @property
    def actor(self) -> Actor:
        return Actor(type="user", id=str(self.user_id), source=self.source)


# ---------------------------------------------------------------------------------------------------------------------
# Pure rules


def police_incident():
    """What the repeat rule counts as one incident: a force's police reference, however many versions police sent
    (a correction that no longer names a setting leaves that setting's notification with the first version)."""
    return Incident.force_id + "/" + Incident.police_reference


def incidents_in_window(occurred: list[datetime], reference: datetime, months: int = REPEAT_WINDOW_MONTHS) -> int:
    """How many of these incidents happened in the `months` up to and including the reference incident."""
    start = months_before(reference.date(), months)
    return sum(1 for moment in occurred if start <= moment.date() and moment <= reference)


def action_problems(action: str | None, note: str, *, acknowledged: bool) -> dict[str, str]:
    """Why this action cannot be recorded yet, by field id; empty when it can."""
    if action not in OFFERED_ACTIONS:
        return {"action": "Select what you did"}
    problems: dict[str, str] = {}
    if not acknowledged:
        problems["acknowledge"] = "Acknowledge the notification before recording what you did"
    if action in NOTE_REQUIRED and not note.strip():
        problems["note"] = "Enter a note saying what you did"
    elif len(note) > NOTE_MAX_LENGTH:
        problems["note"] = f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer"
    return problems


def send_back_problems(reason: str, *, closed: bool) -> dict[str, str]:
    """Why this notification cannot be sent back to the LA, by field id; empty when it can."""
    if closed:
        return {"reason": "This notification is closed, so it can no longer be sent back"}
    if not reason.strip():
        return {"reason": "Enter why the child is not on your roll"}
    if len(reason) > NOTE_MAX_LENGTH:
        return {"reason": f"The reason must be {NOTE_MAX_LENGTH:,} characters or fewer"}
    return {}


def risk_rank(risk_level: str | None) -> int:
    """Where a risk level sorts among notifications waiting with the same deadline: high first."""
    return RISK_ORDER.index(risk_level) if risk_level in RISK_ORDER else len(RISK_ORDER)


def close_problems(*, acknowledged: bool, action_count: int) -> dict[str, str]:
    if not acknowledged:
        return {"acknowledge": "Acknowledge the notification before closing it"}
    if action_count == 0:
        return {"close": "Record at least one thing you did before closing the notification"}
    return {}


# ---------------------------------------------------------------------------------------------------------------------
# One notification


@dataclass(frozen=True)
class RecordedAction:
    action: str
    label: str
    note: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class ChronologyEntry:
    id: str
    occurred_at: datetime
    received_at: datetime
    risk_level: str
    setting_name: str


@dataclass(frozen=True)
class Chronology:
    """The child's earlier notifications at the staff member's settings, newest first."""

    earlier: tuple[ChronologyEntry, ...]
    recent_count: int  # incidents in the repeat window, this one included
    window_start: date

    @property
    def flagged(self) -> bool:
        return self.recent_count >= REPEAT_THRESHOLD


@dataclass(frozen=True)
class Sibling:
    """Another child from the same incident whose notification is also at one of the staff member's settings."""

    id: str
    given_name: str | None
    family_name: str | None
    setting_name: str


@dataclass(frozen=True)
class NotificationPage:
    notification: Notification
    incident: Incident
    setting_name: str
    force_name: str
    guidance: Guidance
    actions: tuple[RecordedAction, ...]
    chronology: Chronology
    overdue: bool
    siblings: tuple[Sibling, ...] = ()  # only those at the staff member's own settings: never anyone else's
    acknowledged_by: str | None = None  # who acknowledged it for the current owner
    newer_version_id: str | None = None  # set when police corrected this one and the correction is ours to see
    newer_version_elsewhere: bool = False  # corrected, but the correction went to someone else
    earlier_version_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def superseded(self) -> bool:
        return self.notification.superseded_by_id is not None

    @property
    def acknowledged(self) -> bool:
        return self.notification.acknowledged_at is not None

    @property
    def closed(self) -> bool:
        return self.notification.closed_at is not None

    @property
    def can_close(self) -> bool:
        return self.acknowledged and bool(self.actions) and not self.closed and not self.superseded


def notification_page(session: Session, *, staff: StaffMember, notification: Notification, now: datetime) -> NotificationPage:
    """Everything the notification page and the print view show. Reads only."""
    incident = session.get(Incident, notification.incident_id)
    setting = session.get(Setting, notification.recipient_urn) if notification.recipient_urn else None
    authority = la_service.get_local_authority(session, notification.recipient_la_code or (setting.la_code if setting else None))
    force = session.get(PoliceForce, notification.force_id)
    newer_id = newer_elsewhere = None
    if notification.superseded_by_id:
        visible = _visible_ids(session, staff, [notification.superseded_by_id])
        newer_id = notification.superseded_by_id if visible else None
        newer_elsewhere = not visible
    return NotificationPage(
        notification=notification,
        incident=incident,
        setting_name=setting.name if setting else f"Setting {notification.recipient_urn}",
        force_name=force.name if force else notification.force_id,
        guidance=guidance_for(authority),
        actions=recorded_actions(session, staff, notification.id),
        chronology=chronology(session, staff=staff, notification=notification, occurred_at=incident.occurred_at),
        overdue=is_overdue(notification.acknowledge_by, notification.acknowledged_at, now),
        siblings=siblings_here(session, staff=staff, notification=notification),
        acknowledged_by=acknowledged_by(session, notification),
        newer_version_id=newer_id,
        newer_version_elsewhere=bool(newer_elsewhere),
        earlier_version_id=_earlier_version_id(session, staff, notification, incident),
    )


def siblings_here(session: Session, *, staff: StaffMember, notification: Notification) -> tuple[Sibling, ...]:
    """The other children of the same incident whose notifications are at the staff member's settings.

    The query goes through the staff member's scope, so a brother or sister at another school, or with the LA, is
    not found at all: not their name, not that they exist."""
    same_incident = (
        scoped_notifications(staff.scope)
        .with_only_columns(Notification.id)
        .where(Notification.incident_id == notification.incident_id, Notification.id != notification.id,
               Notification.superseded_by_id.is_(None))
        .subquery("same_incident")
    )
    rows = session.exec(
        select(Notification.id, Notification.given_name, Notification.family_name, Notification.recipient_urn, Setting.name)
        .join(same_incident, same_incident.c.id == Notification.id)
        .outerjoin(Setting, Setting.urn == Notification.recipient_urn)
        .order_by(Notification.given_name, Notification.id)
    ).all()
    return tuple(Sibling(id=r[0], given_name=r[1], family_name=r[2], setting_name=r[4] or f"Setting {r[3]}") for r in rows)


def acknowledged_by(session: Session, notification: Notification) -> str | None:
    """The name of whoever acknowledged the notification for its current owner (an LA officer if it was escalated)."""
    if notification.acknowledged_at is None:
        return None
    event = session.exec(
        select(NotificationEvent)
        .where(NotificationEvent.notification_id == notification.id,
               NotificationEvent.status == lifecycle.NotificationStatus.ACKNOWLEDGED,
               NotificationEvent.at >= (notification.owner_since or notification.received_at))
        .order_by(NotificationEvent.at.desc(), NotificationEvent.id.desc())
    ).first()
    if event is None or event.actor_type != "user" or not event.actor_id.isdigit():
        return None
    user = session.get(User, int(event.actor_id))
    return user.display_name if user else None


def _visible_ids(session: Session, staff: StaffMember, ids: list[str]) -> set[str]:
    return set(session.exec(scoped_notifications(staff.scope).with_only_columns(Notification.id).where(Notification.id.in_(ids))))


def _earlier_version_id(session: Session, staff: StaffMember, notification: Notification, incident: Incident) -> str | None:
    if incident.supersedes_id is None:
        return None
    return session.exec(
        scoped_notifications(staff.scope).with_only_columns(Notification.id).where(
            Notification.incident_id == incident.supersedes_id, Notification.child_reference == notification.child_reference
        )
    ).first()


def _action_label(action: str) -> str:
    if action == lifecycle.HAND_OVER_REASON:
        return "Why the local authority sent this notification to you"
    return ACTIONS.get(action, action)


def recorded_actions(session: Session, staff: StaffMember, notification_id: str) -> tuple[RecordedAction, ...]:
    """What this setting recorded, and any hand-over reason addressed to it; never another owner's notes."""
    rows = session.exec(
        select(NotificationAction, User.display_name)
        .join(User, User.id == NotificationAction.recorded_by)
        .where(NotificationAction.notification_id == notification_id, visible_actions(staff.scope))
        .order_by(NotificationAction.recorded_at, NotificationAction.id)
    ).all()
    return tuple(
        RecordedAction(action=a.action, label=_action_label(a.action), note=a.note, recorded_by=name,
                       recorded_at=a.recorded_at)
        for a, name in rows
    )


def chronology(session: Session, *, staff: StaffMember, notification: Notification, occurred_at: datetime) -> Chronology:
    """Earlier incidents for the same child (same child_key) at the staff member's settings, via ix_notification_child:
    each incident once, however many of these settings it named or versions police sent (the scope already leaves out
    what police withdrew)."""
    window_start = months_before(occurred_at.date(), REPEAT_WINDOW_MONTHS)
    if notification.child_key is None:
        return Chronology(earlier=(), recent_count=1, window_start=window_start)
    incident = session.get(Incident, notification.incident_id)
    same_child = (
        scoped_notifications(staff.scope)
        .with_only_columns(Notification.id)
        .where(Notification.child_key == notification.child_key, Notification.superseded_by_id.is_(None))
        .order_by(Notification.received_at.desc())
        .limit(CHRONOLOGY_LIMIT)
        .subquery("same_child")
    )
    results = session.exec(
        select(Notification.id, Incident.occurred_at, Notification.received_at, Incident.risk_level, Setting.name,
               Notification.recipient_urn, police_incident())
        .join(same_child, same_child.c.id == Notification.id)
        .join(Incident, Incident.id == Notification.incident_id)
        .outerjoin(Setting, Setting.urn == Notification.recipient_urn)
        .where(Incident.occurred_at <= occurred_at,  # and not another version of this one:
               sa.or_(Incident.force_id != incident.force_id, Incident.police_reference != incident.police_reference))
        .order_by(Incident.occurred_at.desc(), Notification.received_at.desc())
    ).all()
    # One entry per police incident: one that named two of these settings, or was corrected, is one incident.
    one_each = {r[6]: r for r in reversed(results)}.values()
    earlier = tuple(sorted(
        (ChronologyEntry(id=r[0], occurred_at=r[1], received_at=r[2], risk_level=r[3], setting_name=r[4] or f"Setting {r[5]}")
         for r in one_each), key=lambda e: (e.occurred_at, e.received_at), reverse=True))
    recent = incidents_in_window([e.occurred_at for e in earlier] + [occurred_at], occurred_at)
    return Chronology(earlier=earlier, recent_count=recent, window_start=window_start)


def _view(session: Session, staff: StaffMember, notification_id: str, now: datetime, audit_action: str) -> Notification:
    notification = get_notification(session, staff.scope, notification_id)
    lifecycle.record_view(session, notification, actor=staff.actor, now=now, by_owner=True, audit_action=audit_action,
                          urn=notification.recipient_urn)
    return notification


def form_page(session: Session, *, staff: StaffMember, notification_id: str, now: datetime) -> NotificationPage:
    """The notification page shown again around a form's errors: read only, so it records no view."""
    notification = get_notification(session, staff.scope, notification_id)
    return notification_page(session, staff=staff, notification=notification, now=now)


def open_notification(session: Session, *, staff: StaffMember, notification_id: str, now: datetime) -> NotificationPage:
    """The notification page. Every view is audited; the first one also marks the notification viewed."""
    notification = _view(session, staff, notification_id, now, "notification.viewed")
    return notification_page(session, staff=staff, notification=notification, now=now)


def print_notification(session: Session, *, staff: StaffMember, notification_id: str, now: datetime) -> NotificationPage:
    """The print view for the child's child protection file; printing is audited as its own event."""
    notification = _view(session, staff, notification_id, now, "notification.printed")
    return notification_page(session, staff=staff, notification=notification, now=now)


def _refuse_if_superseded(notification: Notification) -> None:
    if notification.superseded_by_id is not None:
        raise FormInvalid({"corrected": "Police corrected this notification. Use the corrected version instead."})


def acknowledge(session: Session, *, staff: StaffMember, notification_id: str, now: datetime) -> bool:
    """Acknowledges the notification, which also stops its escalation. False if it was already acknowledged."""
    notification = get_notification(session, staff.scope, notification_id, for_update=True)
    _refuse_if_superseded(notification)
    return lifecycle.acknowledge(session, notification, actor=staff.actor, now=now, urn=notification.recipient_urn)


def record_action(session: Session, *, staff: StaffMember, notification_id: str, action: str | None, note: str,
                  now: datetime) -> NotificationAction:
    """Records what the setting did, once it has acknowledged the notification.

    SEND_BACK is not one of the portal's choices (it has its own confirmation page), but a caller of this function
    that passes it gets send_back() with the note as the reason, so no path hands a child over without one."""
    if action == SEND_BACK:
        return send_back(session, staff=staff, notification_id=notification_id, reason=note, now=now).action
    notification = get_notification(session, staff.scope, notification_id, for_update=True)
    _refuse_if_superseded(notification)
    note = note.strip()
    problems = action_problems(action, note, acknowledged=notification.acknowledged_at is not None)
    if problems:
        raise FormInvalid(problems)
    recorded = lifecycle.record_action(session, notification, action=action, note=note, recorded_by=staff.user_id,
                                       now=now, by_setting=True)
    audit_service.record(session, staff.actor, "notification.action_recorded", "notification", notification.id,
                         urn=notification.recipient_urn, recorded_action=action, action_id=recorded.id)
    return recorded


@dataclass(frozen=True)
class SendBackPage:
    """The "not on our roll" confirmation: enough to be sure which child this is, and whether it can still go back."""

    notification: Notification
    setting_name: str

    @property
    def closed(self) -> bool:
        return self.notification.closed_at is not None

    @property
    def superseded(self) -> bool:
        return self.notification.superseded_by_id is not None


def _send_back_page(session: Session, notification: Notification) -> SendBackPage:
    setting = session.get(Setting, notification.recipient_urn) if notification.recipient_urn else None
    return SendBackPage(notification=notification,
                        setting_name=setting.name if setting else f"Setting {notification.recipient_urn}")


def confirm_send_back(session: Session, *, staff: StaffMember, notification_id: str, now: datetime,
                      record_as_view: bool = True) -> SendBackPage:
    """The confirmation page. It names the child, so opening it is audited as a view like the notification page;
    shown again around its form's errors it only reads."""
    if record_as_view:
        notification = _view(session, staff, notification_id, now, "notification.viewed")
    else:
        notification = get_notification(session, staff.scope, notification_id)
    return _send_back_page(session, notification)


@dataclass(frozen=True)
class SentBack:
    action: NotificationAction
    given_name: str | None
    family_name: str | None


def send_back(session: Session, *, staff: StaffMember, notification_id: str, reason: str, now: datetime) -> SentBack:
    """"This child is not on our roll": records the reason, addressed to the LA too, and hands the notification back
    to the LA's "sent back" queue with a fresh deadline (lifecycle.hand_over). Refused once it is closed."""
    notification = get_notification(session, staff.scope, notification_id, for_update=True)
    _refuse_if_superseded(notification)
    reason = reason.strip()
    problems = send_back_problems(reason, closed=notification.closed_at is not None)
    if problems:
        raise FormInvalid(problems)
    back_to = _send_back_owner(session, notification)
    recorded = lifecycle.record_action(session, notification, action=SEND_BACK, note=reason, recorded_by=staff.user_id,
                                       now=now, by_setting=True, for_owner=back_to)
    audit_service.record(session, staff.actor, "notification.action_recorded", "notification", notification.id,
                         urn=notification.recipient_urn, recorded_action=SEND_BACK, action_id=recorded.id)
    given_name, family_name = notification.given_name, notification.family_name
    lifecycle.hand_over(session, notification, to=back_to, because=lifecycle.HandOver.SENT_BACK, actor=staff.actor,
                        now=now, reason_action_id=recorded.id)
    return SentBack(action=recorded, given_name=given_name, family_name=family_name)


def _send_back_owner(session: Session, notification: Notification) -> lifecycle.NewOwner:
    """The LA a setting sends a notification back to: the one recorded, else the setting's own."""
    la_code = notification.recipient_la_code
    if la_code is None and notification.recipient_urn is not None:
        setting = session.get(Setting, notification.recipient_urn)
        la_code = setting.la_code if setting else None
    return lifecycle.NewOwner(urn=None, la_code=la_code, la_queue="sent_back")


def close(session: Session, *, staff: StaffMember, notification_id: str, now: datetime) -> bool:
    """Closes an acknowledged notification with at least one recorded action. False if it was already closed."""
    notification = get_notification(session, staff.scope, notification_id, for_update=True)
    _refuse_if_superseded(notification)
    if notification.closed_at is not None:
        return False
    action_count = session.exec(
        select(sa.func.count(NotificationAction.id)).where(NotificationAction.notification_id == notification.id,
                                                           visible_actions(staff.scope))
    ).one()
    problems = close_problems(acknowledged=notification.acknowledged_at is not None, action_count=action_count)
    if problems:
        raise FormInvalid(problems)
    return lifecycle.close(session, notification, actor=staff.actor, now=now)
