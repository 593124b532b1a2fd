"""Portal users and what they belong to: settings for Key Adults and deputies, LAs for officers."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow

SETTING_ROLES = ("key_adult", "deputy")
USER_KINDS = ("setting_staff", "la_officer", "admin")


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=120)
    kind: str = Field(max_length=20)  # one of USER_KINDS
    password_hash: str | None = Field(default=None, max_length=200)
    totp_secret: str | None = Field(default=None, max_length=64)
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
