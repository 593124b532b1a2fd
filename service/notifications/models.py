"""Incidents (versioned per police reference), one notification per child, status history and actions."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow

STATUSES = ("received", "sent", "delivered", "viewed", "acknowledged", "closed", "escalated", "rerouted", "withdrawn")
OPEN_STATUSES = ("received", "sent", "delivered", "viewed", "escalated", "rerouted")
# Why police withdrew a notification: said as a code, so the reason itself carries nobody's details.
WITHDRAWAL_REASONS = ("wrong_child", "wrong_household", "wrong_setting", "sent_in_error", "other")
# Not one police give: a correction no longer names the child, or that setting of theirs, so its notification ends
# as a withdrawal does.
LEFT_OUT_OF_CORRECTION = "left_out_of_correction"
HOLIDAY_COVER_QUEUE = "holiday_cover"  # a closed setting's notification, worked by the LA's holiday cover team
LA_QUEUES = ("not_in_school", "to_resolve", "not_onboarded", "sent_back", HOLIDAY_COVER_QUEUE, "escalated")
RISK_LEVELS = ("standard", "medium", "high", "not_assessed")


_WAITING = "recipient_urn IS NOT NULL AND acknowledged_at IS NULL AND superseded_by_id IS NULL"
_OPEN_IN_QUEUE = "la_queue IS NOT NULL AND closed_at IS NULL AND superseded_by_id IS NULL"


def new_id() -> str:
    return str(uuid.uuid4())


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (
        sa.UniqueConstraint("force_id", "police_reference", "version", name="uq_incident_reference_version"),
        # At most one current version per police reference, even under concurrent corrections.
        sa.Index(
            "uq_incident_current_reference",
            "force_id",
            "police_reference",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    force_id: str = Field(foreign_key="police_force.id", max_length=40)
    api_client_id: int = Field(foreign_key="api_client.id")
    police_reference: str = Field(max_length=64)
    version: int = 1
    is_current: bool = True
    supersedes_id: str | None = Field(default=None, foreign_key="incident.id", max_length=36)
    body_hash: str = Field(max_length=64)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    risk_level: str = Field(max_length=20)
    summary: str | None = Field(default=None, max_length=2000)
    police_actions: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Police withdrew this whole version (sent in error): a later correction is routed afresh, whatever people chose.
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "child_reference", "setting_position", name="uq_notification_child"),
        sa.Index("ix_notification_setting_inbox", "recipient_urn", "acknowledged_at", "received_at"),
        sa.Index("ix_notification_la_queue", "la_queue", "recipient_la_code", "received_at"),
        sa.Index("ix_notification_la_received", "recipient_la_code", "received_at"),
        sa.Index("ix_notification_child", "child_key", "received_at"),
        sa.Index("ix_notification_deadline", "acknowledged_at", "acknowledge_by"),
        # Partial indexes that keep the portal's pages flat as years of closed work pile up (bench/growth.py):
        # a setting's current notifications, newest first, counted and paged from the index alone ...
        sa.Index(
            "ix_notification_setting_current", "recipient_urn", "received_at", "id",
            postgresql_include=["acknowledged_at"],
            sqlite_where=sa.text("superseded_by_id IS NULL"), postgresql_where=sa.text("superseded_by_id IS NULL"),
        ),
        # ... the few it has not acknowledged yet, which the inbox lists first ...
        sa.Index(
            "ix_notification_setting_waiting", "recipient_urn", "received_at", "id",
            sqlite_where=sa.text(_WAITING), postgresql_where=sa.text(_WAITING),
        ),
        # ... and the LA queues' open items only: closed items keep their la_queue but leave the queue.
        sa.Index(
            "ix_notification_la_open_queue", "la_queue", "recipient_la_code", "received_at", "id",
            sqlite_where=sa.text(_OPEN_IN_QUEUE), postgresql_where=sa.text(_OPEN_IN_QUEUE),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    incident_id: str = Field(foreign_key="incident.id", max_length=36)
    force_id: str = Field(foreign_key="police_force.id", max_length=40, index=True)
    child_reference: str = Field(max_length=64)
    # 0 for the child's main setting; 1 to 3 for the other settings police named (other_settings, in their order).
    setting_position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Other settings' hints that resolved to this notification's setting, each with why it was merged here.
    merged_hints: list[dict] | None = Field(default=None, sa_type=sa.JSON)

    # The child, as police gave them. Blanked by the retention purge.
    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    date_of_birth: date | None = None
    upn: str | None = Field(default=None, max_length=13)
    home_la_code: str | None = Field(default=None, max_length=3)
    home_postcode: str | None = Field(default=None, max_length=10)
    education_status: str = Field(max_length=40)
    setting_urn_given: str | None = Field(default=None, max_length=12)
    setting_name_given: str | None = Field(default=None, max_length=200)
    present_at_incident: bool | None = None
    spoken_to: bool | None = None
    child_voice: str | None = Field(default=None, max_length=2000)
    # Keyed hash of name and date of birth: links a child's notifications (chronology) without names.
    child_key: str | None = Field(default=None, max_length=64)
    age_at_incident: int | None = None

    # The routing decision, kept as made, even after a re-route.
    routing_outcome: str = Field(max_length=20)
    routing_method: str = Field(max_length=30)
    routing_reason: str = Field(max_length=500)
    routing_score: float | None = None
    routing_candidates: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    intended_urn: str | None = Field(default=None, max_length=12)

    # Who owns it now.
    recipient_urn: str | None = Field(default=None, max_length=12)
    recipient_la_code: str | None = Field(default=None, max_length=3)
    la_queue: str | None = Field(default=None, max_length=20)
    assigned_officer_id: int | None = Field(default=None, foreign_key="user_account.id")

    status: str = Field(default="received", max_length=20)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    acknowledge_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    covered_by: str | None = Field(default=None, max_length=20)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # Notify accepted the owner's first email
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a receipt, or a webhook's 2xx
    first_viewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deputies_alerted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Notify said an email to one of the owner's Key Adults can never arrive (a bounce): deputies and LA were told.
    key_adult_not_reached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawal_reason: str | None = Field(default=None, max_length=30)
    withdrawal_note: str | None = Field(default=None, max_length=500)  # police's words; purged with the child data
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    superseded_by_id: str | None = Field(default=None, max_length=36)
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the current owner took it over: arrival, or the latest hand-over. Earlier owners are in notification_owner_period.
    owner_since: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationOwnerPeriod(SQLModel, table=True):
    """An owner that held a notification before a hand-over, with the times that belong to its time as owner."""

    __tablename__ = "notification_owner_period"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notification.id", max_length=36, index=True)
    recipient_urn: str | None = Field(default=None, max_length=12)
    recipient_la_code: str | None = Field(default=None, max_length=3)
    la_queue: str | None = Field(default=None, max_length=20)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    ended_by: str = Field(max_length=20)  # the hand-over that ended it: sent_back, rerouted, onboarded
    acknowledge_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_viewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deputies_alerted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    key_adult_not_reached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationEvent(SQLModel, table=True):
    """Status history: every transition, never edited."""

    __tablename__ = "notification_event"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notification.id", max_length=36, index=True)
    status: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_type: str = Field(max_length=20)
    actor_id: str = Field(max_length=64)
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON)


class NotificationAction(SQLModel, table=True):
    """What a Key Adult or LA officer recorded doing, with their note."""

    __tablename__ = "notification_action"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notification.id", max_length=36, index=True)
    action: str = Field(max_length=40)
    note: str = Field(default="", max_length=4000)
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Whose record it is: the setting (and its LA) or the LA that recorded it. A hand-over reason is also
    # addressed to the new owner (for_urn / for_la_code), who sees it; nobody else outside the LA does.
    owner_urn: str | None = Field(default=None, max_length=12)
    owner_la_code: str | None = Field(default=None, max_length=3)
    for_urn: str | None = Field(default=None, max_length=12)
    for_la_code: str | None = Field(default=None, max_length=3)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    force_id: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_body: dict | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
