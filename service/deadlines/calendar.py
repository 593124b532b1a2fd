"""School-day calendar and the acknowledge-by deadline of a notification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal

import holidays

from service.dates import LONDON, london_date

# Longer than any school holiday: reaching it means the calendar is misconfigured
# (for example a holiday period typed as a whole year), not that a deadline is far off.
_SEARCH_LIMIT_DAYS = 400


@dataclass(frozen=True)
class HolidayPeriod:
    """Days (inclusive) when an LA's schools are closed: a holiday or INSET days."""

    first_day: date
    last_day: date
    name: str = ""

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(
                f"holiday period {self.name!r} ends ({self.last_day}) before it starts ({self.first_day})"
            )

    def includes(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class SchoolCalendar:
    """One LA's school-day configuration, as it affects deadlines."""

    school_day_start: time = time(8, 30)  # local Europe/London
    grace: timedelta = timedelta(minutes=90)
    holidays: tuple[HolidayPeriod, ...] = ()  # the LA's configured school holidays / INSET days
    holiday_cover: bool = False  # LA runs a holiday cover team

    def __post_init__(self) -> None:
        if self.school_day_start.tzinfo is not None:
            raise ValueError("school_day_start is a local Europe/London time and must not carry a tzinfo")
        if self.grace < timedelta(0):
            raise ValueError("grace must not be negative")


LA_HOLIDAY_COVER = "la_holiday_cover"


@dataclass(frozen=True)
class Deadline:
    """When a notification must be acknowledged, and who is expected to do it."""

    acknowledge_by: datetime  # aware, UTC
    covered_by: Literal["setting", "la_holiday_cover"]


def la_covers_setting(*, covered_by: str | None, recipient_urn: str | None) -> bool:
    """True when a setting's notification is owed to its LA's holiday cover team: the setting is closed on the deadline day.

    The setting still holds it and sees it when it reopens; until then the LA's team is told, acknowledges and is chased.
    """
    return recipient_urn is not None and covered_by == LA_HOLIDAY_COVER


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # Built per year and frozen so lookups are cheap and safe to share between threads.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: date) -> bool:
    """True for an England and Wales bank holiday, including substitute days."""
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    """A weekday that is not a bank holiday: the days an LA holiday cover team works."""
    return day.weekday() < 5 and not is_bank_holiday(day)


def in_la_holiday(day: date, calendar: SchoolCalendar) -> bool:
    return any(period.includes(day) for period in calendar.holidays)


def is_school_day(day: date, calendar: SchoolCalendar) -> bool:
    """A working day outside the LA's configured school holidays and INSET days."""
    return is_working_day(day) and not in_la_holiday(day, calendar)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _day_start(day: date, calendar: SchoolCalendar) -> datetime:
    # UK clocks change early on a Sunday, never a working day, so a school-day
    # start always exists and is never ambiguous.
    return datetime.combine(day, calendar.school_day_start, tzinfo=LONDON)


def _first_day_starting_after(
    received_at: datetime, calendar: SchoolCalendar, qualifies: Callable[[date], bool]
) -> date:
    day = london_date(received_at)
    for _ in range(_SEARCH_LIMIT_DAYS):
        if qualifies(day) and _day_start(day, calendar) > received_at:
            return day
        day += timedelta(days=1)
    raise ValueError(
        f"no qualifying day within {_SEARCH_LIMIT_DAYS} days of receipt; check the LA holiday configuration"
    )


def acknowledge_by(received_at: datetime, calendar: SchoolCalendar) -> Deadline:
    """The deadline: start of the first school day that starts after receipt, plus grace.

    With holiday cover, a notification whose next working day falls in an LA holiday
    is owed to the LA's cover team on that working day instead of waiting for term.
    """
    _require_aware(received_at, "received_at")
    covered_by: Literal["setting", "la_holiday_cover"] = "setting"
    if calendar.holiday_cover:
        day = _first_day_starting_after(received_at, calendar, is_working_day)
        if in_la_holiday(day, calendar):
            covered_by = "la_holiday_cover"
        # Otherwise the next working day is a school day, so the setting owns it.
    else:
        day = _first_day_starting_after(received_at, calendar, lambda d: is_school_day(d, calendar))
    # Grace is elapsed time after the start, so add it in UTC.
    deadline = _day_start(day, calendar).astimezone(UTC) + calendar.grace
    return Deadline(acknowledge_by=deadline, covered_by=covered_by)


def escalation_due_at(acknowledge_by: datetime, escalate_after: timedelta = timedelta(hours=2)) -> datetime:
    """When an unacknowledged notification goes to the LA officer queue (UTC)."""
    _require_aware(acknowledge_by, "acknowledge_by")
    return acknowledge_by.astimezone(UTC) + escalate_after


def is_overdue(acknowledge_by: datetime | None, acknowledged_at: datetime | None, now: datetime) -> bool:
    """Past its acknowledge-by deadline and not acknowledged: the one rule every page that says "Overdue" uses."""
    return acknowledged_at is None and acknowledge_by is not None and acknowledge_by < now
