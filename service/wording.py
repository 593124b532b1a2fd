"""How every page says the things they share: one London date and time format, periods of time, and what the purge removed.

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


# The one way every page writes a day and a moment, whatever it is about (a deadline, a date of birth, a table cell):
# '24 November 2026' and '24 November 2026 at 10:00am', London time. Every date filter below is one of these two.
def date_shown(day: date) -> str:
    """'24 November 2026'."""
    return f"{day.day} {day:%B %Y}"


def date_and_time(moment: datetime) -> str:
    """'24 November 2026 at 10:00am', in London time."""
    return f"{date_shown(in_london(moment).date())} at {clock_time(moment)}"


# The names templates already use; each gives the one format above.
long_date = short_date = date_shown
time_on_day = day_at_time = short_day_at_time = date_and_time


def days_in_words(days: int) -> str:
    """How long a retention period is: '2 years', '1 year', '30 days'."""
    if days % 365 == 0:
        years = days // 365
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


def yes_no_unknown(value: bool | None) -> str:
    return "Not known" if value is None else ("Yes" if value else "No")


# Each status word's govuk-tag colour, the same on every portal: the Key Adult's, the LA officer's and police staff's.
# Colour only repeats what the words say. "New" (nobody has opened it) and "Viewed" (opened, not yet acknowledged)
# are far apart; whatever is past its deadline is red; whatever nobody can act on any more is grey. The tag's own
# colour, blue, has no modifier (govuk-frontend 6 has no govuk-tag--blue).
STATUS_TAG_CLASSES = {
    "New": "", "Received": "",
    "Sent": "govuk-tag--teal", "Email sent": "govuk-tag--teal", "Delivered": "govuk-tag--teal",
    "Viewed": "govuk-tag--purple",
    "Acknowledged": "govuk-tag--green",
    "Escalated": "govuk-tag--orange",
    "Overdue": "govuk-tag--red", "Past deadline": "govuk-tag--red",
    "Re-routed": "govuk-tag--yellow", "Passed to a new owner": "govuk-tag--yellow",
    "Closed": "govuk-tag--grey", "Withdrawn": "govuk-tag--grey", "Not routed": "govuk-tag--grey",
}


def setting_label(name: str | None, urn: str) -> str:
    """A setting as people read it: "Name (URN 123456)", or "URN 123456" when its name is not known."""
    return f"{name} (URN {urn})" if name else f"URN {urn}"


def child_name(given_name: str | None, family_name: str | None) -> str:
    """The child's name, or a plain note when the retention purge has removed it."""
    name = " ".join(part for part in (given_name, family_name) if part)
    return name or DETAILS_REMOVED


FILTERS = {
    "date_shown": date_shown, "date_and_time": date_and_time, "clock_time": clock_time,
    "long_date": long_date, "short_date": short_date, "time_on_day": time_on_day, "day_at_time": day_at_time,
    "short_day_at_time": short_day_at_time, "london_date": london_date, "yes_no_unknown": yes_no_unknown, "age_on": age_on,
    "days_in_words": days_in_words,
}
GLOBALS = {"child_name": child_name, "DETAILS_REMOVED": DETAILS_REMOVED}
