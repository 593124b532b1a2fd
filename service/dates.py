"""Dates as they run in England: the one Europe/London zone, London days as UTC bounds, ages and month arithmetic."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def in_london(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def london_date(moment: datetime) -> date:
    """The day it was in England at that moment; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date()


def london_days(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole days in Europe/London, both ends included, as UTC: from the start of `first` to the end of `last`."""
    start = datetime.combine(first, time(0), LONDON).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), LONDON).astimezone(UTC)
    return start, end


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years completed on the given day (a child born 29 February turns a year older on 1 March)."""
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


def months_before(day: date, months: int) -> date:
    """The same day of the month, `months` earlier (the month's last day if it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))
