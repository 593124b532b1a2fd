"""The oversight dashboard's figures for an officer's LAs over a period: aggregate queries only."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from service.audit import service as audit_service
from service.dates import months_before
from service.db import utcnow
from service.laworkspace.dashboard import (
    DashboardRows,
    DurationSummary,
    Period,
    median_of_middle,
)
from service.laworkspace.officer import Officer
from service.notifications.models import (
    Incident,
    Notification,
    NotificationAction,
)
from service.notifications.scope import Scope, scoped_notifications
from service.register.models import Setting


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
