"""An uploaded extract between its preview and the end of its processing: the incidents sealed, never the file."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow

UPLOAD_STATES = ("previewed", "processing", "done")


class PoliceUpload(SQLModel, table=True):
    __tablename__ = "police_upload"

    id: str = Field(primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    force_id: str = Field(foreign_key="police_force.id", max_length=40)
    state: str = Field(max_length=12)  # one of UPLOAD_STATES
    # The validated incidents, encrypted, until processing ends; then None. The file itself is never stored.
    sealed_incidents: str | None = Field(default=None, sa_type=sa.Text)
    file_sha256: str = Field(max_length=64)
    incidents_total: int = 0
    children_total: int = 0
    incidents_done: int = 0
    new_count: int = 0
    corrected_count: int = 0
    unchanged_count: int = 0
    failed_count: int = 0
    # Police references and what happened to each: no child data.
    outcomes: list = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
