"""The oversight dashboard's figures for an officer's LAs over a period: aggregate queries only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.audit import service as audit_service
from service.db import utcnow
from service.laworkspace.dashboard import (
    DashboardRows,
    DurationSummary,
    Period,
    median_of_middle,
    repeat_window_start,
)
from service.laworkspace.officer import Officer
from service.laworkspace.queues import child_name
from service.keyadult.service import REPEAT_THRESHOLD, SEND_BACK, police_incident
from service.notifications import lifecycle
from service.notifications.models import (
    Incident,
    Notification,
    NotificationAction,
    NotificationOwnerPeriod,
)
from service.notifications.scope import Scope, scoped_notifications
from service.register.models import Setting
from service.register.service import setting_labels


# Rows written with a hand-over (an officer's re-route reason, a setting's "not on our roll"): events, not outcomes.
HAND_OVER_ACTIONS = (lifecycle.HAND_OVER_REASON, SEND_BACK)


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

    # The latest outcome: what someone did, not the reason rows written with a hand-over (counted apart below).
    latest_action = (
        select(sa.func.max(NotificationAction.id)).where(NotificationAction.notification_id == Notification.id,
                                                         NotificationAction.action.not_in(HAND_OVER_ACTIONS))
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
    at_settings = session.exec(
        in_period.where(Notification.recipient_urn.is_not(None)).with_only_columns(sa.func.count()).select_from(Notification)
    ).one()
    held_by_la = session.exec(
        in_period.where(Notification.recipient_urn.is_(None), Notification.routing_outcome != "not_routed")
        .with_only_columns(sa.func.count()).select_from(Notification)
    ).one()
    not_routed = session.exec(
        in_period.where(Notification.recipient_urn.is_(None), Notification.routing_outcome == "not_routed")
        .with_only_columns(sa.func.count()).select_from(Notification)
    ).one()
    in_period_ids = in_period.with_only_columns(Notification.id).select_from(Notification).subquery()
    hand_overs = [(row[0], row[1]) for row in session.execute(
        select(NotificationOwnerPeriod.ended_by, sa.func.count())
        .where(NotificationOwnerPeriod.notification_id.in_(select(in_period_ids.c.id)))
        .group_by(NotificationOwnerPeriod.ended_by)
    )]

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

    overdue_now = session.exec(_overdue(live, now).with_only_columns(sa.func.count()).select_from(Notification)).one()
    repeated = _repeated_children(live, period).subquery()
    repeat_children = session.exec(select(sa.func.count()).select_from(repeated)).one()

    return DashboardRows(
        total=total, by_outcome=by_outcome, by_setting=by_setting, held_by_la=held_by_la, police=police,
        acknowledgement=acknowledgement, due=due_count or 0, met=int(met_count or 0), overdue_now=overdue_now,
        repeat_children=repeat_children, repeat_window_start=repeat_window_start(period),
        other_settings=at_settings - sum(count for _, _, count in by_setting), not_routed=not_routed, hand_overs=hand_overs,
    )


def _overdue(live, now: datetime):
    """Open, unacknowledged and past the deadline: the "overdue now" count and the list behind it."""
    return live.where(Notification.closed_at.is_(None), Notification.acknowledged_at.is_(None), Notification.acknowledge_by < now)


def _repeat_window(live, period: Period):
    """The notifications a repeat child is counted from: received in the three months to the period's end (the
    officer's scope already leaves out what police withdrew)."""
    window_start = Period(repeat_window_start(period), period.end).utc_bounds()[0]
    return live.where(Notification.received_at >= window_start, Notification.received_at < period.utc_bounds()[1])


def _repeated_children(live, period: Period):
    """The child keys with three or more incidents in the three months to the period's end: an incident that named
    several settings is one incident."""
    return (
        _repeat_window(live, period).where(Notification.child_key.is_not(None))
        .with_only_columns(Notification.child_key).select_from(Notification)
        .join(Incident, Incident.id == Notification.incident_id)
        .group_by(Notification.child_key).having(sa.func.count(sa.distinct(police_incident())) >= REPEAT_THRESHOLD)
    )


@dataclass(frozen=True)
class CountedNotification:
    """One notification behind a dashboard figure, as the list page shows it."""

    id: str
    child_name: str
    received_at: datetime
    acknowledge_by: datetime | None
    held_by: str
    incident: str = ""  # the police incident (force and reference) it is about


@dataclass(frozen=True)
class RepeatChild:
    child_name: str
    notifications: list[CountedNotification]

    @property
    def incidents(self) -> int:
        """What makes a repeat child: incidents, each once however many settings it named."""
        return len({n.incident for n in self.notifications})


LIST_LIMIT = 500  # far more than an LA has overdue at once; the page says when there are more


def overdue_notifications(session: Session, officer: Officer, *, now: datetime | None = None) -> tuple[list[CountedNotification], int]:
    """The notifications counted as "overdue now", most overdue first, and how many there are. Audited."""
    now = now or utcnow()
    live = scoped_notifications(officer.scope).where(Notification.superseded_by_id.is_(None))
    query = _overdue(live, now)
    total = session.exec(query.with_only_columns(sa.func.count()).select_from(Notification)).one()
    rows = list(session.exec(query.order_by(Notification.acknowledge_by, Notification.id).limit(LIST_LIMIT)))
    counted = _counted(session, rows)
    audit_service.record(session, officer.actor, "oversight.overdue_listed", "local_authority", ",".join(sorted(officer.la_codes)),
                         notification_ids=[n.id for n in counted])
    return counted, total


def repeat_children_notifications(session: Session, officer: Officer, period: Period) -> list[RepeatChild]:
    """The children counted as having three or more incidents in the three months to the period's end, each with
    the notifications behind them, newest first. Audited."""
    live = scoped_notifications(officer.scope).where(Notification.superseded_by_id.is_(None))
    keys = [row for row in session.exec(_repeated_children(live, period).limit(LIST_LIMIT))]
    if not keys:
        rows = []
    else:
        rows = list(session.exec(
            _repeat_window(live, period).where(Notification.child_key.in_(keys))
            .order_by(Notification.received_at.desc(), Notification.id)
        ))
    counted = dict(zip((n.id for n in rows), _counted(session, rows), strict=True))
    children: dict[str, list[CountedNotification]] = {}
    for n in rows:
        children.setdefault(n.child_key, []).append(counted[n.id])
    result = [RepeatChild(child_name=items[0].child_name, notifications=items) for items in children.values()]
    result.sort(key=lambda child: (-child.incidents, -len(child.notifications), child.child_name))
    audit_service.record(session, officer.actor, "oversight.repeat_children_listed", "local_authority",
                         ",".join(sorted(officer.la_codes)), notification_ids=[n.id for n in rows],
                         last_day=period.end.isoformat())
    return result


def _counted(session: Session, rows: list[Notification]) -> list[CountedNotification]:
    labels = setting_labels(session, [n.recipient_urn for n in rows if n.recipient_urn])
    ids = sorted({n.incident_id for n in rows})
    incidents = dict(session.execute(select(Incident.id, police_incident()).where(Incident.id.in_(ids))).all()) if ids else {}
    return [
        CountedNotification(
            id=n.id, child_name=child_name(n), received_at=n.received_at, acknowledge_by=n.acknowledge_by,
            held_by=labels[n.recipient_urn] if n.recipient_urn else f"Local authority {n.recipient_la_code}",
            incident=incidents.get(n.incident_id, n.incident_id),
        )
        for n in rows
    ]


def record_dashboard_view(session: Session, officer: Officer, period: Period, *, export: bool) -> None:
    audit_service.record(session, officer.actor, "oversight.exported" if export else "oversight.viewed", "local_authority",
                         ",".join(sorted(officer.la_codes)), first_day=period.start.isoformat(), last_day=period.end.isoformat())
