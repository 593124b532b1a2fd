"""Per-local-authority deployment configuration: contacts, thresholds, school day and holidays."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow


class LocalAuthority(SQLModel, table=True):
    __tablename__ = "local_authority"

    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=100)
    education_team_name: str = Field(default="Education service", max_length=200)
    education_team_email: str | None = Field(default=None, max_length=200)
    education_team_phone: str | None = Field(default=None, max_length=40)
    threshold_document_url: str | None = Field(default=None, max_length=500)
    social_care_front_door_name: str | None = Field(default=None, max_length=200)
    social_care_front_door_phone: str | None = Field(default=None, max_length=40)
    social_care_front_door_url: str | None = Field(default=None, max_length=500)
    social_care_out_of_hours_phone: str | None = Field(default=None, max_length=40)
    school_day_start: str = Field(default="08:30", max_length=5)
    grace_minutes: int = 90
    # [{"first_day": "2026-12-21", "last_day": "2027-01-01", "name": "Christmas"}]
    holidays: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    holiday_cover: bool = False
    holiday_cover_contact: str | None = Field(default=None, max_length=200)
    early_years_notifications: bool = False
    # Local practice, shown after the national guidance (checked by localauthorities.local_guidance)
    local_guidance: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # [{"name": "Domestic abuse support line", "phone": "0800 ...", "url": "https://..."}]
    local_services: list[dict] = Field(default_factory=list, sa_type=sa.JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
