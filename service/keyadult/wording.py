"""How the Key Adult's pages say dates, times, ages, risk levels and statuses: Europe/London, GOV.UK style."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

RISK_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High", "not_assessed": "Not assessed"}

STATUS_LABELS = {
    "received": "New",
    "delivered": "New",
    "rerouted": "New",
    "viewed": "Viewed",
    "acknowledged": "Acknowledged",
    "closed": "Closed",
    "escalated": "Escalated",
}

# govuk-tag colour modifiers. Colour only repeats what the tag's words already say.
STATUS_TAG_CLASSES = {
    "New": "govuk-tag--blue",
    "Viewed": "govuk-tag--light-blue",
    "Acknowledged": "govuk-tag--green",
    "Closed": "govuk-tag--grey",
    "Escalated": "govuk-tag--orange",
    "Overdue": "govuk-tag--red",
}
RISK_TAG_CLASSES = {"high": "govuk-tag--red", "medium": "govuk-tag--orange", "standard": "govuk-tag--grey",
                    "not_assessed": "govuk-tag--grey"}


def in_london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


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


def age_in_years(date_of_birth: date, today: date) -> int:
    had_birthday = (today.month, today.day) >= (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - (0 if had_birthday else 1)


def status_label(status: str, *, overdue: bool) -> str:
    return "Overdue" if overdue else STATUS_LABELS.get(status, status.capitalize())


def risk_label(risk_level: str | None) -> str:
    return RISK_LABELS.get(risk_level or "", "Not given")


def child_name(given_name: str | None, family_name: str | None) -> str:
    """The child's name, or a plain note when the retention purge has removed it."""
    name = " ".join(part for part in (given_name, family_name) if part)
    return name or "Details removed"
