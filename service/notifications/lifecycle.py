"""How a notification moves: its statuses, which may follow which, and the one place each move is written.

Every change to a notification's status, owner or owner's times goes through a function here, which writes the
fields, the status event (notification_event) and the audit entry together. No other module sets those fields or
writes status events. The transition table (RULES) is pure data, testable without a database; the functions below
turn each rule into one conditional UPDATE, so two people (or a person and the worker) acting at the same moment
record one transition, not two.

A hand-over (send-back, re-route, onboarding) gives the new owner a clean start: their own deadline, delivery,
first view, acknowledgement and escalation ladder. The earlier owner's times are kept in notification_owner_period,
where police read-back finds them.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, select

from service.alerts.models import OutboxMessage
from service.alerts.outbox import (
    cancel_waiting_alerts,
    enqueue_alert,
    enqueue_notification_waiting,
    enqueue_withdrawn,
    notification_link,
    outbox_row,
    owner_was_alerted,
    waiting_alerts,
)
from service.audit import service as audit_service
from service.audit.service import Actor
from service.db import insert_rows
from service.deadlines.calendar import acknowledge_by as compute_acknowledge_by
from service.deadlines.calendar import la_covers_setting
from service.localauthorities import service as la_service
from service.notifications.models import (
    HOLIDAY_COVER_QUEUE,
    LEFT_OUT_OF_CORRECTION,
    Incident,
    Notification,
    NotificationAction,
    NotificationEvent,
    NotificationOwnerPeriod,
)
from service.problems import Conflict
from service.routing.rules import STATUSES_FOR_LA


class NotificationStatus(StrEnum):
    RECEIVED = "received"  # stored and routed; the owner has not been told yet
    SENT = "sent"  # GOV.UK Notify accepted the owner's first email; no receipt has said it arrived yet
    DELIVERED = "delivered"  # a receipt said the owner's email arrived, or their webhook answered 2xx
    VIEWED = "viewed"  # the owner opened it
    ACKNOWLEDGED = "acknowledged"  # the owner has it in hand; the escalation ladder stops
    ESCALATED = "escalated"  # nobody acknowledged by the deadline: the LA is chasing it
    REROUTED = "rerouted"  # handed over to a new owner, who has not been told yet
    CLOSED = "closed"  # done with (or never in the scheme)
    WITHDRAWN = "withdrawn"  # police withdrew it (sent in error): nobody outside police reads it any more


S = NotificationStatus
ALL_STATUSES = frozenset(S)
OPEN_STATUSES = ALL_STATUSES - {S.CLOSED, S.WITHDRAWN}
UNREAD_STATUSES = frozenset({S.RECEIVED, S.SENT, S.DELIVERED, S.REROUTED})
UNACKNOWLEDGED = OPEN_STATUSES - {S.ACKNOWLEDGED}


class Transition(StrEnum):
    SEND = "send"
    DELIVER = "deliver"
    FIRST_VIEW = "first_view"
    ACKNOWLEDGE = "acknowledge"
    ALERT_DEPUTIES = "alert_deputies"
    ESCALATE = "escalate"
    HAND_OVER = "hand_over"
    ASSIGN = "assign"
    LEAVE_QUEUE = "leave_queue"
    CLOSE = "close"
    SUPERSEDE = "supersede"
    PURGE = "purge"
    WITHDRAW = "withdraw"
    RESTATE_WITHDRAWAL = "restate_withdrawal"
    KEY_ADULT_NOT_REACHED = "key_adult_not_reached"


class HandOver(StrEnum):
    """Why a notification changed owner."""

    SENT_BACK = "sent_back"  # a setting said the child is not on its roll: back to the LA
    REROUTED = "rerouted"  # an LA officer sent it to a setting or another LA
    ONBOARDED = "onboarded"  # the setting it was meant for got its first active Key Adult


# The times that belong to one owner's period; a hand-over clears them all for the new owner.
OWNER_TIMES = frozenset({"sent_at", "delivered_at", "first_viewed_at", "acknowledged_at", "deputies_alerted_at", "escalated_at",
                         "key_adult_not_reached_at"})
OWNER_FIELDS = frozenset({"recipient_urn", "recipient_la_code", "la_queue", "acknowledge_by", "covered_by", "owner_since"})


@dataclass(frozen=True)
class Rule:
    allowed_from: frozenset[NotificationStatus]
    moves: Mapping[NotificationStatus, NotificationStatus]  # status after, by status before; unlisted ones are kept
    writes: frozenset[str]  # the only fields this transition may set or clear


RULES: dict[Transition, Rule] = {
    Transition.SEND: Rule(ALL_STATUSES - {S.WITHDRAWN}, {S.RECEIVED: S.SENT, S.REROUTED: S.SENT}, frozenset({"sent_at"})),
    Transition.DELIVER: Rule(ALL_STATUSES - {S.WITHDRAWN}, {S.RECEIVED: S.DELIVERED, S.REROUTED: S.DELIVERED,
                                                          S.SENT: S.DELIVERED}, frozenset({"delivered_at"})),
    Transition.FIRST_VIEW: Rule(ALL_STATUSES - {S.WITHDRAWN}, dict.fromkeys(UNREAD_STATUSES, S.VIEWED), frozenset({"first_viewed_at"})),
    Transition.ACKNOWLEDGE: Rule(UNACKNOWLEDGED, dict.fromkeys(UNACKNOWLEDGED, S.ACKNOWLEDGED),
                                 frozenset({"acknowledged_at", "first_viewed_at"})),
    Transition.KEY_ADULT_NOT_REACHED: Rule(ALL_STATUSES - {S.WITHDRAWN}, {}, frozenset({"key_adult_not_reached_at"})),
    Transition.ALERT_DEPUTIES: Rule(UNACKNOWLEDGED - {S.ESCALATED}, {}, frozenset({"deputies_alerted_at"})),
    Transition.ESCALATE: Rule(UNACKNOWLEDGED - {S.ESCALATED}, dict.fromkeys(UNACKNOWLEDGED, S.ESCALATED),
                              frozenset({"escalated_at", "la_queue"})),
    Transition.HAND_OVER: Rule(OPEN_STATUSES, dict.fromkeys(OPEN_STATUSES, S.REROUTED),
                               OWNER_FIELDS | OWNER_TIMES | {"assigned_officer_id"}),
    Transition.ASSIGN: Rule(OPEN_STATUSES, {}, frozenset({"assigned_officer_id"})),
    Transition.LEAVE_QUEUE: Rule(OPEN_STATUSES, {}, frozenset({"la_queue"})),
    Transition.CLOSE: Rule(OPEN_STATUSES, dict.fromkeys(OPEN_STATUSES, S.CLOSED),
                           frozenset({"closed_at", "acknowledged_at", "la_queue"})),
    Transition.SUPERSEDE: Rule(ALL_STATUSES, {}, frozenset({"superseded_by_id"})),
    Transition.PURGE: Rule(ALL_STATUSES, {}, frozenset({"purged_at"})),
    # A withdrawal ends everything, closed or not: the owner's unsent alerts go, and nobody reads the child any more.
    Transition.WITHDRAW: Rule(ALL_STATUSES - {S.WITHDRAWN}, dict.fromkeys(ALL_STATUSES - {S.WITHDRAWN}, S.WITHDRAWN),
                              frozenset({"withdrawn_at", "withdrawal_reason", "withdrawal_note", "closed_at", "la_queue"})),
    # Police withdraw one a correction had left out: their reason stands, so a later put-back does not undo it.
    Transition.RESTATE_WITHDRAWAL: Rule(frozenset({S.WITHDRAWN}), {}, frozenset({"withdrawal_reason", "withdrawal_note"})),
}


class IllegalTransition(Conflict):
    """A transition the table does not allow from the notification's status, or one asked of an owner that has
    lost the notification since it was read (a 409: the page is out of date)."""

    def __init__(self, detail: str):
        super().__init__(detail)


def status_after(transition: Transition, status: str) -> NotificationStatus:
    """The status a notification has after `transition` from `status`, or IllegalTransition. Pure."""
    rule = RULES[transition]
    current = NotificationStatus(status)
    if current not in rule.allowed_from:
        raise IllegalTransition(f"{transition} is not allowed from {current}")
    return rule.moves.get(current, current)


# ---------------------------------------------------------------------------------------------------------------------
# Writing a transition


def _status_expression(rule: Rule):
    if not rule.moves:
        return Notification.status
    return sa.case(*((Notification.status == before.value, after.value) for before, after in rule.moves.items()),
                   else_=Notification.status)


def _write(session: Session, notification_id: str, transition: Transition, values: Mapping, *conditions) -> bool:
    """One conditional UPDATE: the transition's fields and status, only from a status the table allows. True if applied."""
    rule = RULES[transition]
    unexpected = set(values) - rule.writes
    if unexpected:
        raise AssertionError(f"{transition} may not write {sorted(unexpected)}")
    statement = (
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.status.in_([s.value for s in rule.allowed_from]), *conditions)
        .values(**values, status=_status_expression(rule))
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount == 1


def _event(session: Session, notification_id: str, status: str, actor: Actor, now: datetime, event: str, **detail) -> None:
    session.add(NotificationEvent(**_event_row(notification_id, status, actor, now, event, **detail)))


def _event_row(notification_id: str, status: str, actor: Actor, now: datetime, event: str, **detail) -> dict:
    return {"notification_id": notification_id, "status": str(status), "at": now, "actor_type": actor.type,
            "actor_id": actor.id[:64], "detail": {"event": event, **detail}}


def _same_owner(notification: Notification):
    """The row still has the owner the caller read: a write from a page read before a hand-over must not land on
    the new owner's clean start."""
    if notification.owner_since is None:
        return Notification.owner_since.is_(None)
    return Notification.owner_since == notification.owner_since


def _refuse_if_owner_changed(session: Session, notification: Notification) -> None:
    since = session.execute(select(Notification.owner_since).where(Notification.id == notification.id)).scalar_one()
    if since != notification.owner_since:
        raise IllegalTransition("this notification changed hands since it was read")


def _reload(session: Session, notification: Notification) -> None:
    session.flush()
    session.refresh(notification)


# ---------------------------------------------------------------------------------------------------------------------
# Arrival, correction and purge


def record_arrivals(session: Session, notifications: Sequence, *, actor: Actor, with_webhook: Container[str]) -> None:
    """New notifications' first events and first alerts; one outside the scheme is closed as it arrives.

    The notifications are already written, by intake, with `arrival_fields`. An incident's children arrive together,
    so their events go in as one INSERT and their alerts as another. `with_webhook` is the settings among them with
    an active webhook (webhook_urns)."""
    events, alerts = [], []
    for notification in notifications:
        now = notification.received_at
        events.append(_event_row(notification.id, S.RECEIVED, actor, now, "received", method=notification.routing_method))
        if notification.routing_outcome == "not_routed":
            events.append(_event_row(notification.id, S.CLOSED, Actor(type="system", id="routing"), now, "closed",
                                     reason="outside the scheme"))
            continue
        alerts += waiting_alerts(notification_id=notification.id, recipient_urn=notification.recipient_urn,
                                 recipient_la_code=notification.recipient_la_code, owner_since=notification.owner_since,
                                 with_webhook=with_webhook,
                                 la_holiday_cover=la_covers_setting(covered_by=notification.covered_by,
                                                                    recipient_urn=notification.recipient_urn))
    insert_rows(session, NotificationEvent.__table__, events)
    insert_rows(session, OutboxMessage.__table__, [outbox_row(**alert) for alert in alerts])


def arrival_fields(*, routed: bool, la_code: str | None, recipient_urn: str | None, now: datetime, calendar) -> dict:
    """The lifecycle fields of a notification as it arrives: its status, deadline and owner's start."""
    if not routed:
        return {"status": S.CLOSED.value, "closed_at": now, "owner_since": now}
    deadline = compute_acknowledge_by(now, calendar)
    fields = {"status": S.RECEIVED.value, "acknowledge_by": deadline.acknowledge_by, "covered_by": deadline.covered_by,
              "owner_since": now}
    if la_covers_setting(covered_by=deadline.covered_by, recipient_urn=recipient_urn):
        # The setting is closed for the holiday: the LA's cover team works it from their queue until it reopens.
        fields["la_queue"] = HOLIDAY_COVER_QUEUE
    return fields


# A correction's notification that stays with the owner a person chose for the version it replaces, or that its LA
# holds because the setting police named had sent the child back (its routing method).
KEPT_BY_CORRECTION = "kept_from_earlier_version"
# Who may choose an owner a correction keeps: a setting sending a child back, an LA officer re-routing one.
PEOPLES_HAND_OVERS = frozenset({"sent_back", "rerouted"})
# The LA queues an LA-held notification can wait in for a person to act on; escalated and holiday cover come later.
_LA_WORK_QUEUES = frozenset({"not_in_school", "to_resolve", "not_onboarded", "sent_back"})
# What routing reads of a child: a correction that changes none of these keeps the owner a person chose.
ROUTING_FACTS = ("setting_urn_given", "setting_name_given", "education_status", "home_la_code", "home_postcode",
                 "date_of_birth")


@dataclass(frozen=True)
class KeptOwner:
    """The owner a correction keeps, and how it came to be: "sent_back" or "rerouted" (a person chose it), "kept"
    by an earlier correction, or "refused" (police named a setting that had sent the child back)."""

    owner: NewOwner
    chosen_by: str
    intended_urn: str | None = None  # an LA holding it for this setting, until it has an active Key Adult
    since: datetime | None = None  # when that owner took the version replaced (a refusal before it was known then)


def owners_people_chose(session: Session, replaced: Sequence[Notification]) -> dict[str, KeptOwner]:
    """Of the versions a police correction replaces, those whose owner a person chose since police sent it: a
    setting sent the child back ("not on our roll") or an LA officer re-routed them, or an earlier correction kept
    such an owner. {replaced id: the owner a correction keeps, if it changes none of the child's ROUTING_FACTS}.

    Police's details led to where a person has since said the child is not: routing the same details again would
    send the child's details back to a setting that refused them, and take them from the one the LA chose. A
    version police withdrew keeps nothing (a correction after a withdrawal is routed afresh); one withdrawn only
    because a correction left the child out (left_out_earlier) keeps its owner for when police put the child back."""
    live = {n.id: n for n in replaced if n.routing_outcome != "not_routed"
            and (n.withdrawn_at is None or n.withdrawal_reason == LEFT_OUT_OF_CORRECTION)}
    if not live:
        return {}
    periods = session.exec(
        select(NotificationOwnerPeriod.notification_id, NotificationOwnerPeriod.ended_by)
        .where(NotificationOwnerPeriod.notification_id.in_(sorted(live)),
               NotificationOwnerPeriod.ended_by.in_(sorted(PEOPLES_HAND_OVERS)))
        .order_by(NotificationOwnerPeriod.ended_at, NotificationOwnerPeriod.id)).all()
    chosen_by = {notification_id: ended_by for notification_id, ended_by in periods}  # the latest wins
    # A left-out notification's queue was cleared when it was withdrawn; its withdrawal event kept it.
    left_out = sorted(n.id for n in live.values() if n.withdrawn_at is not None)
    queue_when_left_out = {row.notification_id: row.detail.get("from_queue") for row in session.exec(
        select(NotificationEvent).where(NotificationEvent.notification_id.in_(left_out),
                                        NotificationEvent.status == S.WITHDRAWN)) if row.detail.get("event") == "withdrawn"
                           } if left_out else {}
    kept = {}
    for notification_id, notification in live.items():
        why = chosen_by.get(notification_id)
        if why is None and notification.routing_method == KEPT_BY_CORRECTION:
            why = "kept"
        if why is None:
            continue
        queue = intended = None
        if notification.recipient_urn is None:
            was_in = queue_when_left_out.get(notification_id, notification.la_queue)
            queue = was_in if was_in in _LA_WORK_QUEUES else (
                "sent_back" if why == "sent_back" else
                "not_in_school" if notification.education_status in STATUSES_FOR_LA else "to_resolve")
            intended = notification.intended_urn if queue == "not_onboarded" else None
        kept[notification_id] = KeptOwner(NewOwner(urn=notification.recipient_urn, la_code=notification.recipient_la_code,
                                                   la_queue=queue), chosen_by=why, intended_urn=intended,
                                 since=notification.owner_since)
    return kept


def left_out_earlier(session: Session, *, force_id: str, police_reference: str,
                     child_references: Sequence[str]) -> list[Notification]:
    """These children's notifications, in any version of the force's incident, that a correction withdrew because
    it left them out, the latest withdrawn first: what a correction putting a child back replaces. None from before
    police last withdrew the incident as a whole: a correction after a withdrawal is routed afresh."""
    if not child_references:
        return []
    same_incident = (Incident.force_id == force_id, Incident.police_reference == police_reference)
    last_withdrawn = session.exec(select(sa.func.max(Incident.withdrawn_at)).where(*same_incident)).one()
    return list(session.exec(
        select(Notification).join(Incident, Incident.id == Notification.incident_id)
        .where(*same_incident, Notification.withdrawal_reason == LEFT_OUT_OF_CORRECTION,
               Notification.child_reference.in_(sorted(set(child_references))),
               *([Notification.withdrawn_at > last_withdrawn] if last_withdrawn is not None else []))
        .order_by(Notification.withdrawn_at.desc(), Notification.setting_position, Notification.id)))


def settings_that_sent_back(session: Session, *, force_id: str, police_reference: str) -> dict[str, dict[str, datetime]]:
    """{child_reference: {setting that sent that child back: when it last did}}, over every version of the force's
    incident: a correction police route to one of them goes to its LA instead (refused_by), and so does an owner a
    person chose before the refusal (refused_since)."""
    period = NotificationOwnerPeriod.__table__.c
    notification = Notification.__table__.c
    incident = Incident.__table__.c
    rows = session.execute(
        sa.select(notification.child_reference, period.recipient_urn, sa.func.max(period.ended_at))
        .join_from(NotificationOwnerPeriod.__table__, Notification.__table__, notification.id == period.notification_id)
        .join(Incident.__table__, incident.id == notification.incident_id)
        .where(incident.force_id == force_id, incident.police_reference == police_reference,
               period.ended_by == HandOver.SENT_BACK.value, period.recipient_urn.is_not(None))
        .group_by(notification.child_reference, period.recipient_urn)).all()
    refused: dict[str, dict[str, datetime]] = {}
    for child_reference, urn, at in rows:
        refused.setdefault(child_reference, {})[urn] = at
    return refused


def refused_since(kept: KeptOwner, refusals: dict[str, datetime]) -> bool:
    """Whether the setting a correction would keep has sent the child back since it took them (pure), for another of
    their settings, say. A refusal before that is one the person who chose it knew of: an LA officer who checked and
    re-routed the child back to that setting after all is not overruled by police correcting a detail."""
    refused_at = refusals.get(kept.owner.urn) if kept.owner.urn else None
    return refused_at is not None and (kept.since is None or refused_at >= kept.since)


def refused_by(urn: str, *, la_code: str | None) -> KeptOwner:
    """The owner of a correction routed to a setting that sent the child back: that setting's LA, in "Sent back"."""
    return KeptOwner(NewOwner(urn=None, la_code=la_code, la_queue="sent_back"), chosen_by="refused")


def kept_owner_fields(kept: KeptOwner, *, onboarded: bool, setting_la_code: str | None, now: datetime, calendar) -> dict:
    """The routing and owner columns of a correction's notification that keeps `kept` (pure). A setting chosen then
    that has no active Key Adult now goes to its LA, with the setting recorded as the one meant, as at intake."""
    urn, la_code, queue, intended = kept.owner.urn, kept.owner.la_code, kept.owner.la_queue, kept.intended_urn
    reason = {
        "sent_back": "Police corrected the incident after the setting sent the child back, so it stays where a person "
                     "chose: it is not routed again from the same details.",
        "rerouted": "Police corrected the incident after an LA officer re-routed it, so it stays where the officer "
                    "chose: it is not routed again from the same details.",
        "kept": "Police corrected the incident again, without changing where the child is educated, so it stays where "
                "a person chose.",
        "refused": "Police corrected the incident, but the setting it names has said the child is not on its roll, so "
                   "its LA holds it.",
    }[kept.chosen_by]
    if urn is not None and not onboarded:
        intended, urn, la_code, queue = urn, None, setting_la_code or la_code, "not_onboarded"
        reason += " That setting has no active Key Adult now, so its LA holds it."
    fields = {"routing_outcome": "setting" if urn else "local_authority", "routing_method": KEPT_BY_CORRECTION,
              "routing_reason": reason, "routing_score": None, "intended_urn": intended, "recipient_urn": urn,
              "recipient_la_code": la_code, "la_queue": queue}
    arrival = arrival_fields(routed=True, la_code=la_code, recipient_urn=urn, now=now, calendar=calendar)
    return {**fields, **arrival}


def supersede(session: Session, replaced: Notification, *, by: Notification, actor: Actor, now: datetime) -> None:
    """A police correction replaced this notification with `by`. Its owner keeps it only if the correction is theirs too."""
    _write(session, replaced.id, Transition.SUPERSEDE, {"superseded_by_id": by.id})
    _event(session, replaced.id, replaced.status, actor, now, "superseded", by=by.id)
    session.flush()


def purge(session: Session, notification_ids: list[str], *, blanked: Mapping, now: datetime) -> None:
    """Blanks the child's details on these notifications (retention); their timings and outcome stay for statistics."""
    session.execute(sa.update(Notification).where(Notification.id.in_(notification_ids))
                    .values(**blanked, purged_at=now).execution_options(synchronize_session=False))
    session.execute(sa.update(NotificationAction).where(NotificationAction.notification_id.in_(notification_ids))
                    .values(note="").execution_options(synchronize_session=False))


# ---------------------------------------------------------------------------------------------------------------------
# The owner's times


def record_send(session: Session, notification_id: str, *, now: datetime, worker_id: str, outbox_id: int,
                for_owner_since: datetime | None = None, sent_after: datetime | None = None) -> bool:
    """Notify accepted a "waiting" email: the owner it was for is `sent`, until a receipt says it arrived. Once per owner.

    `for_owner_since` is the start of the period of the owner the alert was made for (OutboxMessage.owner_since): an
    email made for an earlier owner, still at Notify when the notification changed hands, says nothing about the
    new one (nor about the earlier owner's period, which had ended: it is recorded on the alert only). Alerts made
    before owners were recorded on them have only `sent_after`, when the email was accepted: the current owner must
    have held it by then."""
    if not _write(session, notification_id, Transition.SEND, {"sent_at": now}, Notification.sent_at.is_(None),
                  *_for_owner(for_owner_since, sent_after)):
        return False
    _event(session, notification_id, S.SENT, Actor(type="worker", id=worker_id), now, "sent", channel="email",
           outbox_id=outbox_id)
    session.flush()
    return True


def _for_owner(owner_since: datetime | None, sent_after: datetime | None):
    """The notification is still with the owner an alert was made for (see record_send)."""
    if owner_since is not None:
        return (Notification.owner_since == owner_since,)
    if sent_after is None:
        return ()
    return (sa.or_(Notification.owner_since.is_(None), Notification.owner_since <= sent_after),)


def record_delivery(session: Session, notification_id: str, *, now: datetime, worker_id: str, channel: str,
                    outbox_id: int, for_owner_since: datetime | None = None, sent_after: datetime | None = None) -> bool:
    """The owner the alert was for was told (a delivery receipt, or their webhook's 2xx): their delivery time, once.
    A notification already viewed keeps its status. `for_owner_since` and `sent_after` as for record_send."""
    values = {"delivered_at": now}
    if not _write(session, notification_id, Transition.DELIVER, values, Notification.delivered_at.is_(None),
                  *_for_owner(for_owner_since, sent_after)):
        return False
    _event(session, notification_id, S.DELIVERED, Actor(type="worker", id=worker_id), now, "delivered", channel=channel,
           outbox_id=outbox_id)
    session.flush()
    return True


def record_not_reached(session: Session, notification_id: str, *, now: datetime, outbox_id: int,
                       for_owner_since: datetime | None, sent_after: datetime | None = None) -> bool:
    """Notify said the email to one of the owner's Key Adults can never arrive (a permanent failure): the time, once
    an owner, for police to read back. Changes no status. `for_owner_since` and `sent_after` as for record_send."""
    if not _write(session, notification_id, Transition.KEY_ADULT_NOT_REACHED, {"key_adult_not_reached_at": now},
                  Notification.key_adult_not_reached_at.is_(None), *_for_owner(for_owner_since, sent_after)):
        return False
    status = session.exec(select(Notification.status).where(Notification.id == notification_id)).one()
    _event(session, notification_id, status, Actor(type="system", id="notify-receipts"), now,
           "key_adult_not_reached", outbox_id=outbox_id)
    session.flush()
    return True


def record_view(session: Session, notification: Notification, *, actor: Actor, now: datetime, by_owner: bool,
                audit_action: str = "notification.viewed", **audit_detail) -> bool:
    """Audits a view. The owner's first view also records first_viewed_at and makes an unread notification viewed."""
    first = False
    if by_owner:
        first = _write(session, notification.id, Transition.FIRST_VIEW, {"first_viewed_at": now},
                       Notification.first_viewed_at.is_(None))
        if first:
            _reload(session, notification)
            _event(session, notification.id, notification.status, actor, now, "viewed", urn=notification.recipient_urn)
    audit_service.record(session, actor, audit_action, "notification", notification.id, **audit_detail)
    session.flush()
    return first


def acknowledge(session: Session, notification: Notification, *, actor: Actor, now: datetime, **audit_detail) -> bool:
    """The owner has it in hand, which stops the escalation ladder. False if it was already acknowledged."""
    overdue = notification.acknowledge_by is not None and notification.acknowledge_by < now
    taken = _write(session, notification.id, Transition.ACKNOWLEDGE,
                   {"acknowledged_at": now, "first_viewed_at": sa.func.coalesce(Notification.first_viewed_at, now)},
                   Notification.acknowledged_at.is_(None), Notification.superseded_by_id.is_(None), _same_owner(notification))
    if not taken:
        _refuse_if_owner_changed(session, notification)
        return False
    _event(session, notification.id, S.ACKNOWLEDGED, actor, now, "acknowledged", urn=notification.recipient_urn,
           overdue=overdue)
    audit_service.record(session, actor, "notification.acknowledged", "notification", notification.id, overdue=overdue,
                         **audit_detail)
    _reload(session, notification)
    return True


def still_on_the_ladder():
    """Open, current, not acknowledged and not yet escalated: a notification the escalation ladder still climbs."""
    return (Notification.acknowledged_at.is_(None), Notification.closed_at.is_(None),
            Notification.superseded_by_id.is_(None), Notification.escalated_at.is_(None))


def alert_deputies(session: Session, notification: Notification, *, actor: Actor, now: datetime, due_at: datetime) -> bool:
    """First rung: the deadline passed, so the setting's deputies are told."""
    if not _write(session, notification.id, Transition.ALERT_DEPUTIES, {"deputies_alerted_at": now},
                  Notification.deputies_alerted_at.is_(None), *still_on_the_ladder()):
        return False
    enqueue_alert(session, template="deadline_missed_deputies", audience="setting_deputies",
                  audience_ref=notification.recipient_urn, link=notification_link(notification.id),
                  notification_id=notification.id)
    _event(session, notification.id, notification.status, actor, now, "deputies_alerted", due_at=due_at.isoformat())
    audit_service.record(session, actor, "notification.deputies_alerted", "notification", notification.id,
                         urn=notification.recipient_urn, due_at=due_at.isoformat())
    session.flush()
    return True


def escalate(session: Session, notification: Notification, *, actor: Actor, now: datetime, due_at: datetime) -> bool:
    """Second rung: still not acknowledged, so it goes to the LA officers' escalated queue."""
    from_queue, from_status = notification.la_queue, notification.status
    if not _write(session, notification.id, Transition.ESCALATE, {"escalated_at": now, "la_queue": "escalated"},
                  *still_on_the_ladder()):
        return False
    la_code = notification.recipient_la_code
    # With no LA recorded the alert still goes in: it dead-letters as "no recipients" where an admin sees it.
    enqueue_alert(session, template="escalated_to_la", audience="local_authority", audience_ref=la_code or "",
                  link=notification_link(notification.id, for_la=True), notification_id=notification.id)
    _event(session, notification.id, S.ESCALATED, actor, now, "escalated", due_at=due_at.isoformat(), from_queue=from_queue,
           from_status=from_status, la_code=la_code)
    audit_service.record(session, actor, "notification.escalated", "notification", notification.id,
                         la_code=la_code, urn=notification.recipient_urn, due_at=due_at.isoformat())
    _reload(session, notification)
    return True


# ---------------------------------------------------------------------------------------------------------------------
# Hand-over


@dataclass(frozen=True)
class NewOwner:
    """Who takes a notification over: a setting (with its LA), or an LA's education service and the queue it waits in."""

    urn: str | None
    la_code: str | None
    la_queue: str | None = None


# The action row that carries an officer's reason for a re-route, addressed to the new owner; the audit trail holds
# no free text, only this row's id.
HAND_OVER_REASON = "rerouted"

HAND_OVER_AUDIT = {HandOver.SENT_BACK: "notification.sent_back", HandOver.REROUTED: "notification.rerouted",
                   HandOver.ONBOARDED: "notification.handed_to_new_key_adult"}


def hand_over(session: Session, notification: Notification, *, to: NewOwner, because: HandOver, actor: Actor,
              now: datetime, **detail) -> None:
    """Gives the notification to a new owner with a clean start, and tells them, in the caller's transaction.

    The old owner's period (its deadline and times) is kept for police read-back; the new owner gets a deadline on
    their own LA's calendar from now, and their own delivery, view, acknowledgement and ladder. The old owner can no
    longer read it (service.notifications.scope).
    """
    status_after(Transition.HAND_OVER, notification.status)  # refuses a closed notification
    period = NotificationOwnerPeriod(
        notification_id=notification.id, recipient_urn=notification.recipient_urn,
        recipient_la_code=notification.recipient_la_code, la_queue=notification.la_queue,
        started_at=notification.owner_since or notification.received_at, ended_at=now, ended_by=because.value,
        acknowledge_by=notification.acknowledge_by, delivered_at=notification.delivered_at,
        first_viewed_at=notification.first_viewed_at, acknowledged_at=notification.acknowledged_at,
        deputies_alerted_at=notification.deputies_alerted_at, escalated_at=notification.escalated_at,
        sent_at=notification.sent_at, key_adult_not_reached_at=notification.key_adult_not_reached_at,
    )
    before = {"from_urn": notification.recipient_urn, "from_la_code": notification.recipient_la_code,
              "from_queue": notification.la_queue, "from_status": notification.status}
    deadline = compute_acknowledge_by(now, la_service.calendar_for(session, to.la_code))
    holiday_cover = la_covers_setting(covered_by=deadline.covered_by, recipient_urn=to.urn)
    # A setting closed for the holiday: its LA's cover team works it until the setting reopens, as at intake.
    la_queue = HOLIDAY_COVER_QUEUE if holiday_cover else to.la_queue
    values = {"recipient_urn": to.urn, "recipient_la_code": to.la_code, "la_queue": la_queue,
              "acknowledge_by": deadline.acknowledge_by, "covered_by": deadline.covered_by, "owner_since": now,
              "assigned_officer_id": None, **dict.fromkeys(OWNER_TIMES)}
    if not _write(session, notification.id, Transition.HAND_OVER, values, Notification.superseded_by_id.is_(None),
                  _same_owner(notification)):
        raise IllegalTransition("this notification was corrected, closed or handed over since it was read")
    session.add(period)
    cancel_waiting_alerts(session, notification.id, now=now)  # nobody at the old owner can open it now
    after = {"to_urn": to.urn, "to_la_code": to.la_code, "to_queue": la_queue,
             "acknowledge_by": deadline.acknowledge_by.isoformat()}
    _event(session, notification.id, S.REROUTED, actor, now, because.value, **before, **after, **detail)
    audit_service.record(session, actor, HAND_OVER_AUDIT[because], "notification", notification.id, **before, **after,
                         **detail)
    if to.urn is None and to.la_code is None:
        # With no LA known the alert still goes in: it dead-letters where an admin sees it, rather than vanishing.
        enqueue_alert(session, template="notification_waiting", audience="local_authority", audience_ref="",
                      link=notification_link(notification.id, for_la=True), notification_id=notification.id,
                      owner_since=now)
    else:
        enqueue_notification_waiting(session, notification_id=notification.id, recipient_urn=to.urn,
                                     recipient_la_code=to.la_code, owner_since=now, la_holiday_cover=holiday_cover)
    _reload(session, notification)


def earlier_owners(session: Session, notification_id: str) -> list[NotificationOwnerPeriod]:
    return list(session.exec(
        select(NotificationOwnerPeriod).where(NotificationOwnerPeriod.notification_id == notification_id)
        .order_by(NotificationOwnerPeriod.ended_at, NotificationOwnerPeriod.id)
    ))


# ---------------------------------------------------------------------------------------------------------------------
# LA work and closing


def assign(session: Session, notification: Notification, *, officer_id: int | None, actor: Actor, now: datetime) -> None:
    previous = notification.assigned_officer_id
    _write(session, notification.id, Transition.ASSIGN, {"assigned_officer_id": officer_id})
    _event(session, notification.id, notification.status, actor, now, "assigned", officer_id=officer_id,
           previous_officer_id=previous)
    audit_service.record(session, actor, "notification.assigned", "notification", notification.id, officer_id=officer_id,
                         previous_officer_id=previous, la_code=notification.recipient_la_code)
    _reload(session, notification)


def leave_queue(session: Session, notification: Notification, *, actor: Actor, now: datetime, action_id: int) -> None:
    """The LA's part is done (an escalation chased, a holiday covered); the setting that holds it still has its own."""
    from_queue = notification.la_queue
    _write(session, notification.id, Transition.LEAVE_QUEUE, {"la_queue": None})
    _event(session, notification.id, notification.status, actor, now, "escalation_resolved", from_queue=from_queue,
           action_id=action_id)
    audit_service.record(session, actor, "notification.left_queue", "notification", notification.id,
                         from_queue=from_queue, la_code=notification.recipient_la_code)
    _reload(session, notification)


def close(session: Session, notification: Notification, *, actor: Actor, now: datetime, leave_queue: bool = False,
          **detail) -> bool:
    """Closes an open notification. An LA closing its own item also takes it out of the queue and, if nobody had,
    acknowledges it. False if it was already closed."""
    values: dict = {"closed_at": now}
    from_queue = notification.la_queue
    if leave_queue:
        values.update(la_queue=None, acknowledged_at=sa.func.coalesce(Notification.acknowledged_at, now))
    if not _write(session, notification.id, Transition.CLOSE, values, Notification.closed_at.is_(None),
                  _same_owner(notification)):
        _refuse_if_owner_changed(session, notification)
        return False
    if leave_queue:
        detail["from_queue"] = from_queue
    _event(session, notification.id, S.CLOSED, actor, now, "closed", urn=notification.recipient_urn, **detail)
    audit_service.record(session, actor, "notification.closed", "notification", notification.id,
                         urn=notification.recipient_urn, la_code=notification.recipient_la_code, **detail)
    _reload(session, notification)
    return True


# ---------------------------------------------------------------------------------------------------------------------
# Actions and notes, each kept with the owner it was recorded under


def record_action(session: Session, notification: Notification, *, action: str, note: str, recorded_by: int,
                  now: datetime, by_setting: bool, for_owner: NewOwner | None = None) -> NotificationAction:
    """What the owner did, with its note, stored as the record of that owner: a setting's (and its LA's) or an LA's.

    `for_owner` addresses it to a new owner too (a hand-over's reason), who then sees it.
    """
    recorded = NotificationAction(
        notification_id=notification.id, action=action, note=note, recorded_by=recorded_by, recorded_at=now,
        owner_urn=notification.recipient_urn if by_setting else None, owner_la_code=notification.recipient_la_code,
        for_urn=for_owner.urn if for_owner else None, for_la_code=for_owner.la_code if for_owner else None,
    )
    session.add(recorded)
    session.flush()
    return recorded


# ---------------------------------------------------------------------------------------------------------------------
# Withdrawal by police


def _restate_withdrawal(session: Session, notification: Notification, *, reason: str, note: str | None, actor: Actor,
                        now: datetime) -> bool:
    """A correction had left this one out (withdrawn, reason left_out_of_correction); now police withdraw it. Nothing
    else changes (it is withdrawn, its alerts are gone, its owner was told if they had been alerted): police's
    reason replaces "left out", so police read it back and a later correction putting the child back is routed
    afresh. Once only."""
    if not _write(session, notification.id, Transition.RESTATE_WITHDRAWAL, {"withdrawal_reason": reason,
                                                                            "withdrawal_note": note},
                  Notification.withdrawal_reason == LEFT_OUT_OF_CORRECTION):
        return False
    _event(session, notification.id, S.WITHDRAWN, actor, now, "withdrawal_restated", reason=reason,
           was=LEFT_OUT_OF_CORRECTION)
    audit_service.record(session, actor, "notification.withdrawn", "notification", notification.id, reason=reason,
                         from_status=S.WITHDRAWN, was=LEFT_OUT_OF_CORRECTION)
    _reload(session, notification)
    return True


def withdraw(session: Session, notification: Notification, *, reason: str, note: str | None, actor: Actor,
             now: datetime) -> bool:
    """Police withdrew this notification (sent in error). False if it already was: a repeat changes nothing.

    Its unsent alerts are cancelled; an owner who was already told gets a "withdrawn" alert that says only that.
    From now on only police read it (service.notifications.scope), and retention purges its child data sooner.
    """
    if notification.withdrawal_reason == LEFT_OUT_OF_CORRECTION and reason != LEFT_OUT_OF_CORRECTION:
        return _restate_withdrawal(session, notification, reason=reason, note=note, actor=actor, now=now)
    from_status, from_queue = notification.status, notification.la_queue
    values = {"withdrawn_at": now, "withdrawal_reason": reason, "withdrawal_note": note, "la_queue": None,
              "closed_at": sa.func.coalesce(Notification.closed_at, now)}
    if not _write(session, notification.id, Transition.WITHDRAW, values, Notification.withdrawn_at.is_(None)):
        return False
    cancel_waiting_alerts(session, notification.id, now=now, because="withdrawn by police before it was sent",
                          every_template=True)
    told = notification.first_viewed_at is not None or owner_was_alerted(
        session, notification.id, since=notification.owner_since or notification.received_at)
    if told and notification.routing_outcome != "not_routed":
        enqueue_withdrawn(session, notification_id=notification.id, recipient_urn=notification.recipient_urn,
                          recipient_la_code=notification.recipient_la_code)
    _event(session, notification.id, S.WITHDRAWN, actor, now, "withdrawn", reason=reason, from_status=from_status,
           from_queue=from_queue)
    audit_service.record(session, actor, "notification.withdrawn", "notification", notification.id, reason=reason,
                         from_status=from_status, urn=notification.recipient_urn, la_code=notification.recipient_la_code)
    _reload(session, notification)
    return True
