"""The append-only audit trail: who did what to which object, when and from where."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_type: str = Field(max_length=20)  # user, police_client, operator, worker
    actor_id: str = Field(max_length=64)
    action: str = Field(max_length=60)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=64)
    source: str = Field(default="", max_length=100)
    # Ids and codes only: never names or free text about a child.
    detail: dict = Field(default_factory=dict, sa_type=sa.JSON)
