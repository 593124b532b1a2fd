"""Loading and reading LA configuration, and turning it into the calendar deadlines are computed from."""

import re
import tomllib
from datetime import date, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from service.db import execute_core, utcnow
from service.deadlines.calendar import HolidayPeriod, SchoolCalendar
from service.localauthorities import local_guidance
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
        code = merged.get("code", "")
        if not isinstance(code, str) or len(code) != 3 or not code.isdigit():
            raise ValueError(f'local_authority #{position}: code must be a 3-digit DfE LA code in quotes, like "830"')
        if not isinstance(merged.get("name"), str) or not merged["name"].strip():
            raise ValueError(f"local_authority {code}: name is required, in quotes")
        merged.update(_checked_as_the_form_checks(merged, code))
        merged["holidays"] = [_holiday(h, code) for h in merged.get("holidays", [])]
        try:
            merged["local_guidance"], merged["local_services"] = local_guidance.checked(
                merged.get("local_guidance", []), merged.get("local_services", []))
        except local_guidance.LocalGuidanceInvalid as problem:
            raise ValueError(f"local_authority {code}: {problem}") from None
        authorities.append(merged)
    return authorities


def _checked_as_the_form_checks(entry: dict, code: str) -> dict:
    """The entry's settings the officers' form also edits, checked by the form's own rules (parse_config_form), so a
    file cannot store what the form would refuse: a text grace period, say, would break every deadline of the LA.
    Returns them as the form saves them; raises ValueError naming each problem."""
    form, problems = {}, []
    for name in FORM_ORDER:
        if name == "holidays":
            continue  # dates in the file, checked by _holiday
        value = entry.get(name, _FORM_DEFAULTS.get(name))
        if name in ("holiday_cover", "early_years_notifications"):
            form[name] = {True: "yes", False: "no"}.get(value) if isinstance(value, bool) else None
        elif name == "grace_minutes":
            form[name] = str(value) if isinstance(value, int) and not isinstance(value, bool) else "not a number"
        elif value is None or isinstance(value, str):
            form[name] = value or ""
        else:
            problems.append(f"{name} must be text in quotes")
    values, errors = parse_config_form(form)
    problems += [f"{name}: {message}" for name, message in errors.items()]
    if problems:
        raise ValueError(f"local_authority {code}: " + "; ".join(problems))
    return {name: value for name, value in values.items() if name != "holidays"}


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


_LA = LocalAuthority.__table__.c
# Built once: intake reads these for every incident.
_EARLY_YEARS_LA_CODES = sa.select(_LA.code).where(_LA.early_years_notifications)
_CALENDAR = sa.select(_LA.school_day_start, _LA.grace_minutes, _LA.holidays, _LA.holiday_cover).where(
    _LA.code == sa.bindparam("code"))


def early_years_la_codes(session: Session) -> set[str]:
    return set(execute_core(session, _EARLY_YEARS_LA_CODES).scalars())


def calendar_for(session: Session, code: str | None) -> SchoolCalendar:
    """The deadline calendar of the LA with this code, read as the four columns it needs (intake asks per LA)."""
    row = execute_core(session, _CALENDAR, {"code": code}).first() if code else None
    return school_calendar(row)


def school_calendar(authority) -> SchoolCalendar:
    """The deadline calendar for an LA (a LocalAuthority, or a row with its calendar columns); an unconfigured LA
    gets the national defaults."""
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


# ---------------------------------------------------------------- editing by the LA's own officers

TEXT_FIELDS = {
    # field: (label for messages, max length, required)
    "education_team_name": ("the education team's name", 200, True),
    "education_team_email": ("the education team's email address", 200, False),
    "education_team_phone": ("the education team's phone number", 40, False),
    "threshold_document_url": ("the threshold document link", 500, False),
    "social_care_front_door_name": ("the name of the social care front door", 200, False),
    "social_care_front_door_phone": ("the social care front door phone number", 40, False),
    "social_care_front_door_url": ("the social care front door link", 500, False),
    "social_care_out_of_hours_phone": ("the out of hours phone number", 40, False),
    "holiday_cover_contact": ("who provides holiday cover", 200, False),
}
FORM_ORDER = (
    "education_team_name", "education_team_email", "education_team_phone", "threshold_document_url",
    "social_care_front_door_name", "social_care_front_door_phone", "social_care_front_door_url",
    "social_care_out_of_hours_phone", "school_day_start", "grace_minutes", "holidays", "holiday_cover",
    "holiday_cover_contact", "early_years_notifications",
)
MAX_GRACE_MINUTES = 240
# What a configuration file that leaves a setting out gets: the model's defaults.
_FORM_DEFAULTS = {"education_team_name": "Education service", "school_day_start": "08:30", "grace_minutes": 90,
                  "holiday_cover": False, "early_years_notifications": False}
MAX_HOLIDAY_DAYS = 70  # longer than any school holiday: a longer period is almost certainly a typing mistake
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,40}$")
# A day, or a first and last day ("to", a hyphen or a dash between), then an optional name after a comma or colon.
_HOLIDAY_LINE = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:to|-|–)\s*(\d{4}-\d{1,2}-\d{1,2}))?(?:\s*[,:]\s*|\s+|$)(.*)$", re.IGNORECASE)


def holidays_text(holidays: list[dict]) -> str:
    """Holidays as the lines an officer edits: '2026-12-21 to 2027-01-01, Christmas holiday', '2026-11-27, INSET day'."""
    return "\n".join(
        (h["first_day"] if h["first_day"] == h["last_day"] else f"{h['first_day']} to {h['last_day']}")
        + (f", {h['name']}" if h.get("name") else "") for h in holidays)


def config_form_values(authority: LocalAuthority) -> dict[str, str]:
    """The configuration as the edit form shows it."""
    values = {name: getattr(authority, name) or "" for name in TEXT_FIELDS}
    values.update(
        school_day_start=authority.school_day_start, grace_minutes=str(authority.grace_minutes),
        holidays=holidays_text(authority.holidays or []),
        holiday_cover="yes" if authority.holiday_cover else "no",
        early_years_notifications="yes" if authority.early_years_notifications else "no",
    )
    return values


def parse_config_form(form) -> tuple[dict, dict[str, str]]:
    """Checks an edit of an LA's configuration. Returns (values to save, errors by field id in page order)."""
    errors: dict[str, str] = {}
    values: dict = {}
    for name, (words, limit, required) in TEXT_FIELDS.items():
        text = (form.get(name) or "").strip()
        if required and not text:
            errors[name] = f"Enter {words}"
        elif len(text) > limit:
            errors[name] = f"{words[0].upper()}{words[1:]} must be {limit} characters or fewer"
        elif text and name.endswith("_email") and not _EMAIL.match(text):
            errors[name] = "Enter an email address in the correct format, like name@example.gov.uk"
        elif text and name.endswith("_phone") and not _PHONE.match(text):
            errors[name] = f"Enter {words} using numbers, spaces and brackets only"
        elif text and name.endswith("_url") and not text.startswith("https://"):
            errors[name] = f"Enter {words} as a full web address starting with https://"
        values[name] = text or None
    values["education_team_name"] = values["education_team_name"] or ""

    start_text = (form.get("school_day_start") or "").strip().replace(".", ":")
    start_text = "0" + start_text if re.fullmatch(r"\d:\d{2}", start_text) else start_text
    try:
        start = time.fromisoformat(start_text) if re.fullmatch(r"\d{2}:\d{2}", start_text) else None
    except ValueError:
        start = None
    if start is None:
        errors["school_day_start"] = "Enter the school day start time in 24-hour form, like 08:30"
    elif not time(6, 0) <= start <= time(12, 0):
        errors["school_day_start"] = "The school day must start between 06:00 and 12:00"
    values["school_day_start"] = start_text

    grace_text = (form.get("grace_minutes") or "").strip()
    if not grace_text.isdigit():
        errors["grace_minutes"] = "Enter the grace period as a whole number of minutes, like 90"
    elif int(grace_text) > MAX_GRACE_MINUTES:
        errors["grace_minutes"] = f"The grace period must be {MAX_GRACE_MINUTES} minutes or fewer"
    else:
        values["grace_minutes"] = int(grace_text)

    holidays, problem = parse_holidays_text(form.get("holidays") or "")
    if problem:
        errors["holidays"] = problem
    values["holidays"] = holidays

    for name in ("holiday_cover", "early_years_notifications"):
        choice = form.get(name)
        if choice not in ("yes", "no"):
            errors[name] = ("Select whether the local authority provides holiday cover" if name == "holiday_cover"
                            else "Select whether the local authority takes notifications for children under 5")
        values[name] = choice == "yes"
    if values["holiday_cover"] and not values.get("holiday_cover_contact") and "holiday_cover_contact" not in errors:
        errors["holiday_cover_contact"] = "Enter who provides holiday cover"

    ordered = {name: errors[name] for name in FORM_ORDER if name in errors}
    return values, ordered


def parse_holidays_text(text: str) -> tuple[list[dict], str | None]:
    """One holiday a line: a day, or a first and last day, then an optional name ('2026-11-27, INSET day',
    '2026-12-21 to 2027-01-01, Christmas holiday'). Returns (holidays, None), or ([], every bad line's problem, one
    a line of the message)."""
    holidays = []
    problems = []
    for number, line in enumerate((line.strip() for line in text.splitlines()), start=1):
        if not line:
            continue
        holiday, problem = _holiday_line(line)
        if problem:
            problems.append(f"Line {number}: {problem}")
        else:
            holidays.append(holiday)
    if problems:
        return [], "\n".join(problems)
    return sorted(holidays, key=lambda h: h["first_day"]), None


def _holiday_day(text: str) -> tuple[date | None, str | None]:
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return None, f"{month:02d} is not a month. Write the month as a number from 01 to 12, like {year}-11-27"
    try:
        return date(year, month, day), None
    except ValueError:
        return None, f"{text} is not a real date: that month has no day {day}"


def _holiday_line(line: str) -> tuple[dict | None, str | None]:
    """One holiday line checked: (the holiday, None) or (None, what is wrong with it). Pure."""
    match = _HOLIDAY_LINE.match(line)
    if not match:
        return None, ("start with the date, like 2026-11-27, INSET day, or with the first and last days, "
                      "like 2026-12-21 to 2027-01-01, Christmas holiday")
    first, problem = _holiday_day(match[1])
    if problem:
        return None, problem
    last, problem = _holiday_day(match[2]) if match[2] else (first, None)
    if problem:
        return None, problem
    if last < first:
        return None, "the last day must be the same as or after the first day"
    if (last - first).days >= MAX_HOLIDAY_DAYS:
        return None, f"the holiday is longer than {MAX_HOLIDAY_DAYS} days: check the dates"
    return {"first_day": first.isoformat(), "last_day": last.isoformat(), "name": match[3].strip()[:100]}, None


def apply_configuration(session: Session, authority: LocalAuthority, values: dict) -> list[str]:
    """Saves checked values; returns the names of the fields that changed (for the audit trail)."""
    changed = [name for name, value in values.items() if getattr(authority, name) != value]
    for name in changed:
        setattr(authority, name, values[name])
    if changed:
        authority.updated_at = utcnow()
        session.add(authority)
        session.flush()
    return sorted(changed)
