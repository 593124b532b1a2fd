"""Finding overdue notifications and applying the ladder's next step, with its alert, in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from service.audit.service import WORKER, Actor
from service.deadlines.calendar import la_covers_setting
from service.deadlines.ladder import LadderStep, next_ladder_step
from service.notifications import lifecycle
from service.notifications.models import Notification


def overdue_notification_ids(session: Session, *, now: datetime, escalate_after: timedelta, limit: int = 500) -> list[str]:
    """Open notifications past their deadline with a ladder step owed now (uses ix_notification_deadline)."""
    return list(session.exec(
        select(Notification.id)
        .where(
            Notification.acknowledged_at.is_(None),
            Notification.acknowledge_by < now,
            *lifecycle.still_on_the_ladder(),
            # Deputies already told: only worth looking at again once escalation is due.
            sa.or_(Notification.deputies_alerted_at.is_(None), Notification.acknowledge_by < now - escalate_after),
        )
        .order_by(Notification.acknowledge_by)
        .limit(limit)
    ))


def apply_ladder_step(session: Session, notification_id: str, *, now: datetime, escalate_after: timedelta,
                      actor: Actor = WORKER) -> LadderStep | None:
    """Takes the next rung for one notification, if one is owed. Returns the step taken, or None.

    Safe when two workers run it at once: the row is locked (PostgreSQL) and every change is a
    conditional UPDATE, so only one of them writes the step and its alert.
    """
    query = select(Notification).where(Notification.id == notification_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    notification = session.exec(query.execution_options(populate_existing=True)).first()
    if notification is None or notification.closed_at or notification.superseded_by_id or notification.acknowledge_by is None:
        return None
    # A notification the LA owns has no deputies to chase, nor does one its holiday cover team holds while the
    # setting is closed (they are on holiday too): the LA's officers are told at the deadline.
    deputies = notification.recipient_urn is not None and not la_covers_setting(
        covered_by=notification.covered_by, recipient_urn=notification.recipient_urn)
    step = next_ladder_step(
        acknowledge_by=notification.acknowledge_by, acknowledged_at=notification.acknowledged_at,
        deputies_alerted_at=notification.deputies_alerted_at, escalated_at=notification.escalated_at,
        now=now, escalate_after=escalate_after, deputies=deputies,
    )
    if step is None:
        return None
    if step.kind == "alert_deputies":
        taken = lifecycle.alert_deputies(session, notification, actor=actor, now=now, due_at=step.due_at)
    else:
        taken = lifecycle.escalate(session, notification, actor=actor, now=now, due_at=step.due_at)
    return step if taken else None
