"""Loading and reading LA configuration, and turning it into the calendar deadlines are computed from."""

import tomllib
from datetime import date, time, timedelta
from pathlib import Path

from sqlmodel import Session, select

from service.db import utcnow
from service.deadlines.calendar import HolidayPeriod, SchoolCalendar
from service.localauthorities.models import LocalAuthority

_FIELDS = set(LocalAuthority.model_fields) - {"updated_at"}


def parse_config(text: str) -> list[dict]:
    """The LAs in a TOML configuration file, each with the file's defaults filled in. Raises ValueError."""
    document = tomllib.loads(text)
    defaults = document.get("defaults", {})
    authorities = []
    for position, entry in enumerate(document.get("local_authority", []), start=1):
        merged = {**defaults, **entry}
        unknown = set(merged) - _FIELDS
        if unknown:
            raise ValueError(f"local_authority #{position}: unknown keys {', '.join(sorted(unknown))}")
        code = str(merged.get("code", ""))
        if len(code) != 3 or not code.isdigit():
            raise ValueError(f"local_authority #{position}: code must be a 3-digit DfE LA code")
        if "name" not in merged:
            raise ValueError(f"local_authority {code}: name is required")
        time.fromisoformat(merged.get("school_day_start", "08:30"))
        merged["holidays"] = [_holiday(h, code) for h in merged.get("holidays", [])]
        authorities.append(merged)
    return authorities


def _holiday(entry: dict, code: str) -> dict:
    first, last = entry.get("first_day"), entry.get("last_day")
    if not isinstance(first, date) or not isinstance(last, date) or last < first:
        raise ValueError(f"local_authority {code}: each holiday needs first_day <= last_day as dates")
    return {"first_day": first.isoformat(), "last_day": last.isoformat(), "name": entry.get("name", "")}


def load_config(session: Session, path: Path) -> list[str]:
    """Creates or updates every LA in the file; returns their codes."""
    codes = []
    for values in parse_config(path.read_text(encoding="utf-8")):
        save_local_authority(session, values)
        codes.append(values["code"])
    return codes


def save_local_authority(session: Session, values: dict) -> LocalAuthority:
    authority = session.get(LocalAuthority, values["code"]) or LocalAuthority(code=values["code"], name=values["name"])
    for field, value in values.items():
        setattr(authority, field, value)
    authority.updated_at = utcnow()
    session.add(authority)
    session.flush()
    return authority


def get_local_authority(session: Session, code: str | None) -> LocalAuthority | None:
    return session.get(LocalAuthority, code) if code else None


def early_years_la_codes(session: Session) -> set[str]:
    return set(session.exec(select(LocalAuthority.code).where(LocalAuthority.early_years_notifications)))


def school_calendar(authority: LocalAuthority | None) -> SchoolCalendar:
    """The deadline calendar for an LA; an unconfigured LA gets the national defaults."""
    if authority is None:
        return SchoolCalendar()
    return SchoolCalendar(
        school_day_start=time.fromisoformat(authority.school_day_start),
        grace=timedelta(minutes=authority.grace_minutes),
        holidays=tuple(
            HolidayPeriod(date.fromisoformat(h["first_day"]), date.fromisoformat(h["last_day"]), h.get("name", ""))
            for h in authority.holidays
        ),
        holiday_cover=authority.holiday_cover,
    )
