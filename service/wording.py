"""How every page says the things they share: London dates and times in GOV.UK style, and what the purge removed.

Registered once as Jinja filters (service.web.templates), so a template writes `{{ n.received_at | time_on_day }}`.
"""

from datetime import date, datetime

from service.dates import age_on, in_london, london_date

# What people see where the retention purge has blanked a child's details: the name, the date of birth.
DETAILS_REMOVED = "Details removed"


def clock_time(moment: datetime) -> str:
    """'10:00am', '3:45pm' in London time."""
    local = in_london(moment)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def long_date(day: date) -> str:
    """'Tuesday 24 November 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """'24 November 2026'."""
    return f"{day.day} {day:%B %Y}"


def time_on_day(moment: datetime) -> str:
    """'10:00am on Tuesday 24 November 2026', the form the acknowledge-by deadline is given in."""
    return f"{clock_time(moment)} on {long_date(in_london(moment).date())}"


def day_at_time(moment: datetime) -> str:
    """'Tuesday 24 November 2026 at 10:00am', for when something happened."""
    return f"{long_date(in_london(moment).date())} at {clock_time(moment)}"


def short_day_at_time(moment: datetime) -> str:
    """'24 November 2026 at 10:00am', for tables."""
    return f"{short_date(in_london(moment).date())} at {clock_time(moment)}"


def yes_no_unknown(value: bool | None) -> str:
    return "Not known" if value is None else ("Yes" if value else "No")


def child_name(given_name: str | None, family_name: str | None) -> str:
    """The child's name, or a plain note when the retention purge has removed it."""
    name = " ".join(part for part in (given_name, family_name) if part)
    return name or DETAILS_REMOVED


FILTERS = {
    "clock_time": clock_time, "long_date": long_date, "short_date": short_date, "time_on_day": time_on_day,
    "day_at_time": day_at_time, "short_day_at_time": short_day_at_time, "london_date": london_date,
    "yes_no_unknown": yes_no_unknown, "age_on": age_on,
}
GLOBALS = {"child_name": child_name, "DETAILS_REMOVED": DETAILS_REMOVED}
