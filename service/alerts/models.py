"""The outbox: alerts written in the same transaction as the change that causes them."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow

OUTBOX_STATES = ("pending", "sending", "sent", "dead", "cancelled")  # cancelled: for an owner that lost the notification first


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_due", "state", "next_attempt_at"),
        sa.Index("ix_outbox_sent_at", "sent_at"),  # the worker counts the last minute's emails (Notify's rate limit)
        sa.Index("ix_outbox_receipt", "receipt_status", "notification_id"),  # the LA's "not reached" list
    )

    id: int | None = Field(default=None, primary_key=True)
    template: str = Field(max_length=40)
    # Who is told: "setting" (urn), "setting_deputies" (urn), "local_authority" (la code), "user" (id), "webhook" (urn),
    # "la_team" (la code: the LA's team mailbox), "reset_request" (user id, or "" for an address with no account that
    # can sign in). The first three are groups: the worker resolves them into one "user" or "la_team" message per
    # person when it sends, so each email is retried and dead-lettered on its own; a reset request into at most one.
    audience: str = Field(max_length=20)
    audience_ref: str = Field(max_length=64)
    notification_id: str | None = Field(default=None, max_length=36, index=True)
    # For a "notification waiting" alert: the owner it was made for, by the owner_since of their period. Its send
    # and receipt count for that owner only, so an email still at Notify when the notification changed hands is
    # not taken as telling the new owner. None on alerts of no owner (and on those made before this column).
    owner_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Plain for notification links; "sealed:<Fernet token>" for invitation and reset links (service.alerts.outbox), which
    # are blanked once sent or dead. Sealing makes a link two to three times longer, hence the width.
    link: str = Field(max_length=1000)
    state: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Notify's id for the email it accepted, and the delivery receipt it later sent back (RECEIPT_STATUSES).
    provider_id: str | None = Field(default=None, max_length=36)
    receipt_status: str | None = Field(default=None, max_length=20)
    receipt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SettingWebhook(SQLModel, table=True):
    """A setting's optional webhook: where to post, and the secrets it is signed with."""

    __tablename__ = "setting_webhook"

    urn: str = Field(primary_key=True, max_length=12)
    url: str = Field(max_length=500)
    # Newest first: [{"secret_encrypted": Fernet token of "whsec_…", "expires_at": ISO 8601 or null}]. The previous
    # secret keeps signing until its expiry, so the setting can switch its receiver over without a gap. Signing needs
    # the secret itself, so it cannot be hashed; it is encrypted (service.crypto) so a dump or backup does not leak it.
    secrets: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


RECEIPT_STATUSES = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")


class NotifyCallbackToken(SQLModel, table=True):
    """The bearer token GOV.UK Notify sends with delivery receipts: only its SHA-256 is kept."""

    __tablename__ = "notify_callback_token"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
