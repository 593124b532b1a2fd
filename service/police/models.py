"""Police forces and the API clients (with hashed keys) their systems use."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow


class PoliceForce(SQLModel, table=True):
    __tablename__ = "police_force"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    default_la_code: str = Field(max_length=3)
    la_codes: list[str] = Field(default_factory=list, sa_type=sa.JSON)


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_client"

    id: int | None = Field(default=None, primary_key=True)
    force_id: str = Field(foreign_key="police_force.id", index=True)
    name: str = Field(max_length=100)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    """A key is shown once; only its SHA-256 is kept (keys are 256-bit random, so a slow hash adds nothing)."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="api_client.id", index=True)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
