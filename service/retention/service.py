"""Choosing what is past retention (pure) and purging it: notifications' child data, and old idempotency records."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from service.audit import service as audit_service
from service.audit.service import Actor
from service.db import utcnow
from service.notifications import lifecycle
from service.notifications.models import IdempotencyRecord, Incident, Notification, NotificationAction

# SQL IN-lists are cut to this size: PostgreSQL and SQLite both cope, and a purge of a large backlog stays bounded.
CHUNK = 500

# What the purge blanks on each notification: everything that names or describes the child. What stays is the
# record that the notification existed: its times, status, outcome, recipient URN and LA code, age and education
# status, for statistics.
BLANKED_NOTIFICATION_FIELDS = {
    "given_name": None, "family_name": None, "date_of_birth": None, "upn": None, "home_postcode": None,
    "setting_name_given": None, "child_voice": None, "child_key": None, "routing_candidates": [],
    "withdrawal_note": None,
}
# A notification police withdrew was sent in error: the service has no reason to hold that child's details, so they
# go after a week, not after the normal retention. The week is for police to find and put right a withdrawal made
# by mistake (posting the incident again), and for a complaint about the error to be checked against what was sent.
# The record that it existed, was withdrawn, and when, stays.
WITHDRAWN_RETENTION_DAYS = 7
BLANKED_INCIDENT_FIELDS = {"summary": None, "police_actions": []}


@dataclass(frozen=True)
class NotificationLifetime:
    """The facts retention needs about one notification."""

    id: str
    incident_id: str
    closed_at: datetime | None
    superseded_by_id: str | None = None
    purged_at: datetime | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    notification_ids: tuple[str, ...]
    incident_ids: tuple[str, ...]
    action_notes_cleared: int
    dry_run: bool


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Notifications closed at or before this moment are past retention."""
    if retention_days < 1:
        raise ValueError("Retention must be at least one day.")
    return now - timedelta(days=retention_days)


def withdrawn_cutoff(now: datetime, retention_days: int) -> datetime:
    """Notifications police withdrew at or before this moment are past retention: a week, or sooner if retention is."""
    return now - timedelta(days=min(retention_days, WITHDRAWN_RETENTION_DAYS))


def notifications_past_retention(lifetimes: Iterable[NotificationLifetime], cutoff: datetime,
                                 withdrawn_by: datetime | None = None) -> set[str]:
    """Ids of the notifications whose child data must go now.

    A notification is past retention when it was closed at or before the cutoff, or police withdrew it at or before
    `withdrawn_by` (which defaults to the cutoff). A version replaced by a police
    correction is never closed itself, so it follows its replacement: it goes when the replacement goes.
    Notifications already purged are not chosen again, so a second run changes nothing.
    """
    by_id = {lifetime.id: lifetime for lifetime in lifetimes}

    def expired(lifetime: NotificationLifetime, seen: frozenset[str]) -> bool:
        if lifetime.purged_at is not None or (lifetime.closed_at is not None and lifetime.closed_at <= cutoff):
            return True
        if lifetime.withdrawn_at is not None and lifetime.withdrawn_at <= (withdrawn_by or cutoff):
            return True
        successor = by_id.get(lifetime.superseded_by_id) if lifetime.superseded_by_id else None
        return successor is not None and successor.id not in seen and expired(successor, seen | {lifetime.id})

    return {lifetime.id for lifetime in by_id.values() if lifetime.purged_at is None and expired(lifetime, frozenset())}


def incidents_fully_purged(notification_incidents: dict[str, str], purged: set[str]) -> set[str]:
    """Incidents all of whose notifications are purged: only then do their summary and police actions go."""
    still_held = {incident for notification, incident in notification_incidents.items() if notification not in purged}
    return set(notification_incidents.values()) - still_held


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _lifetime(row) -> NotificationLifetime:
    return NotificationLifetime(id=row.id, incident_id=row.incident_id, closed_at=row.closed_at,
                                superseded_by_id=row.superseded_by_id, purged_at=row.purged_at,
                                withdrawn_at=row.withdrawn_at)


_LIFETIME_COLUMNS = (Notification.id, Notification.incident_id, Notification.closed_at, Notification.superseded_by_id,
                     Notification.purged_at, Notification.withdrawn_at)


def _candidate_lifetimes(session: Session, cutoff: datetime, withdrawn_by: datetime) -> list[NotificationLifetime]:
    """Unpurged notifications closed before the cutoff, withdrawn long enough ago, or replaced by a correction, and
    every replacement they lead to."""
    rows = session.exec(select(*_LIFETIME_COLUMNS).where(
        Notification.purged_at.is_(None),
        sa.or_(Notification.closed_at <= cutoff, Notification.withdrawn_at <= withdrawn_by,
               Notification.superseded_by_id.is_not(None)),
    )).all()
    known = {row.id: _lifetime(row) for row in rows}
    missing = {l.superseded_by_id for l in known.values() if l.superseded_by_id and l.superseded_by_id not in known}
    while missing:
        for chunk in _chunks(missing):
            for row in session.exec(select(*_LIFETIME_COLUMNS).where(Notification.id.in_(chunk))).all():
                known[row.id] = _lifetime(row)
        missing = {l.superseded_by_id for l in known.values() if l.superseded_by_id and l.superseded_by_id not in known}
        missing -= set(known)
    return list(known.values())


def _incidents_to_blank(session: Session, notification_ids: set[str]) -> set[str]:
    incident_ids: set[str] = set()
    for chunk in _chunks(notification_ids):
        incident_ids.update(session.exec(select(Notification.incident_id).where(Notification.id.in_(chunk))).all())
    membership: dict[str, str] = {}
    purged_before: set[str] = set()
    for chunk in _chunks(incident_ids):
        rows = session.exec(select(Notification.id, Notification.incident_id, Notification.purged_at)
                            .where(Notification.incident_id.in_(chunk))).all()
        for row in rows:
            membership[row.id] = row.incident_id
            if row.purged_at is not None:
                purged_before.add(row.id)
    return incidents_fully_purged(membership, purged_before | notification_ids)


def purge_past_retention(session: Session, *, retention_days: int, actor: Actor, now: datetime | None = None,
                         dry_run: bool = False) -> PurgeReport:
    """Blank the child data of notifications past retention and audit it. Does not commit.

    With dry_run, reports what would be purged and changes nothing.
    """
    now = now or utcnow()
    cutoff = retention_cutoff(now, retention_days)
    withdrawn_by = withdrawn_cutoff(now, retention_days)
    notification_ids = notifications_past_retention(_candidate_lifetimes(session, cutoff, withdrawn_by), cutoff,
                                                    withdrawn_by)
    incident_ids = _incidents_to_blank(session, notification_ids) if notification_ids else set()
    action_notes = 0
    for chunk in _chunks(notification_ids):
        action_notes += session.exec(select(sa.func.count()).select_from(NotificationAction).where(
            NotificationAction.notification_id.in_(chunk), NotificationAction.note != "")).one()
    report = PurgeReport(cutoff=cutoff, notification_ids=tuple(sorted(notification_ids)),
                         incident_ids=tuple(sorted(incident_ids)), action_notes_cleared=action_notes, dry_run=dry_run)
    if dry_run or not notification_ids:
        return report

    for chunk in _chunks(notification_ids):
        lifecycle.purge(session, list(chunk), blanked=BLANKED_NOTIFICATION_FIELDS, now=now)
    for chunk in _chunks(incident_ids):
        session.execute(sa.update(Incident).where(Incident.id.in_(chunk)).values(**BLANKED_INCIDENT_FIELDS, purged_at=now))
    # The ORM's copies of these rows are now out of date.
    session.expire_all()

    for notification_id in report.notification_ids:
        audit_service.record(session, actor, "notification.purged", "notification", notification_id,
                             cutoff=cutoff.isoformat())
    audit_service.record(session, actor, "retention.purged", "retention", now.date().isoformat(),
                         cutoff=cutoff.isoformat(), retention_days=retention_days,
                         notifications=len(report.notification_ids), incidents=len(report.incident_ids),
                         action_notes=action_notes)
    return report


# ---------------------------------------------------------------------------------------------------------------------
# Idempotency records: a replay window, not a record of anything.


@dataclass(frozen=True)
class IdempotencyPurgeReport:
    cutoff: datetime
    records: int
    dry_run: bool


def idempotency_cutoff(now: datetime, replay_days: int) -> datetime:
    """Idempotency records created at or before this moment no longer replay and are deleted."""
    if replay_days < 1:
        raise ValueError("The idempotency replay window must be at least one day.")
    return now - timedelta(days=replay_days)


def purge_idempotency_records(session: Session, *, replay_days: int, actor: Actor, now: datetime | None = None,
                              dry_run: bool = False) -> IdempotencyPurgeReport:
    """Delete the idempotency records older than the replay window and audit the count. Does not commit.

    A police retry after the window is still safe: the same body finds the stored incident and gets its answer.
    """
    now = now or utcnow()
    cutoff = idempotency_cutoff(now, replay_days)
    expired = IdempotencyRecord.created_at <= cutoff
    if dry_run:
        count = session.exec(select(sa.func.count()).select_from(IdempotencyRecord).where(expired)).one()
        return IdempotencyPurgeReport(cutoff=cutoff, records=count, dry_run=True)
    count = session.execute(sa.delete(IdempotencyRecord).where(expired).execution_options(synchronize_session=False)).rowcount
    if count:
        audit_service.record(session, actor, "retention.idempotency_purged", "retention", now.date().isoformat(),
                             cutoff=cutoff.isoformat(), replay_days=replay_days, records=count)
    return IdempotencyPurgeReport(cutoff=cutoff, records=count, dry_run=False)
