"""Portal users and what they belong to: settings for Key Adults and deputies, LAs for officers."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow

SETTING_ROLES = ("key_adult", "deputy")
USER_KINDS = ("setting_staff", "la_officer", "admin", "police_staff")


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=120)
    kind: str = Field(max_length=20)  # one of USER_KINDS
    password_hash: str | None = Field(default=None, max_length=200)
    # Encrypted (accounts service: sealed_totp_secret / totp_secret_of), so a dump or backup cannot mint codes.
    totp_secret: str | None = Field(default=None, max_length=255)
    # The last TOTP time step accepted, so a code seen over someone's shoulder cannot be used again.
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SettingMembership(SQLModel, table=True):
    __tablename__ = "setting_membership"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    urn: str = Field(primary_key=True, max_length=12, index=True)
    role: str = Field(max_length=20)  # one of SETTING_ROLES


class LaMembership(SQLModel, table=True):
    __tablename__ = "la_membership"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    la_code: str = Field(primary_key=True, max_length=3, index=True)


class PoliceStaffMembership(SQLModel, table=True):
    """The one force a police staff member works for: they see that force's notifications and no other's."""

    __tablename__ = "police_staff_membership"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    force_id: str = Field(foreign_key="police_force.id", max_length=40, index=True)


SESSION_STAGES = ("two_factor", "set_up_two_factor", "signed_in")
TOKEN_PURPOSES = ("invitation", "password_reset", "membership")


class PortalSession(SQLModel, table=True):
    """A server-side session. Only the SHA-256 of the cookie's token is stored, so a database leak signs nobody in."""

    __tablename__ = "portal_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    stage: str = Field(max_length=20)  # one of SESSION_STAGES; only signed_in reaches portal pages
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # A TOTP secret offered but not yet confirmed with a code; it moves to the user only when confirmed. Encrypted too.
    pending_totp_secret: str | None = Field(default=None, max_length=255)
    two_factor_failures: int = 0
    next_path: str | None = Field(default=None, max_length=300)
    flashes: list = Field(default_factory=list, sa_type=sa.JSON)


class AccountToken(SQLModel, table=True):
    """A one-time link (invitation, password reset or membership offer). Only the token's SHA-256 is stored."""

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=20)  # one of TOKEN_PURPOSES
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInThrottle(SQLModel, table=True):
    """Recent failed sign-ins per key (email and address together, or address alone), hashed so no email is stored."""

    __tablename__ = "sign_in_throttle"

    key_hash: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MembershipOffer(SQLModel, table=True):
    """A role at a setting offered to someone who already has an account: it is theirs only once they accept it,
    signed in, through the one-time link (AccountToken purpose "membership") emailed to them."""

    __tablename__ = "membership_offer"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    urn: str = Field(max_length=12)
    role: str = Field(max_length=20)  # one of SETTING_ROLES
    token_id: int = Field(foreign_key="account_token.id", unique=True)
    offered_by: int | None = Field(default=None, foreign_key="user_account.id")  # the LA officer who offered it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
