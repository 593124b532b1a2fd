"""Tables for the DfE register of settings (GIAS establishments and their links)."""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow
from service.register.records import is_open_status


class Setting(SQLModel, table=True):
    __tablename__ = "setting"

    urn: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=200)
    la_code: str = Field(max_length=3, index=True)
    la_name: str = Field(max_length=100)
    type_name: str = Field(default="", max_length=100)
    status: str = Field(max_length=100)
    phase: str = Field(default="", max_length=100)
    low_age: int | None = None
    high_age: int | None = None
    postcode: str | None = Field(default=None, max_length=10)
    town: str | None = Field(default=None, max_length=100)
    open_date: date | None = None
    close_date: date | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_open(self) -> bool:
        return is_open_status(self.status)


class SettingLinkRow(SQLModel, table=True):
    __tablename__ = "setting_link"

    urn: str = Field(primary_key=True, max_length=12)
    link_urn: str = Field(primary_key=True, max_length=12)
    link_type: str = Field(primary_key=True, max_length=100)
    established: date | None = None


class RegisterImport(SQLModel, table=True):
    """One row per import run; the newest id is the register version web processes cache against."""

    __tablename__ = "register_import"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source: str = Field(max_length=300)
    rows_read: int = 0
    rows_saved: int = 0
    rows_rejected: int = 0
