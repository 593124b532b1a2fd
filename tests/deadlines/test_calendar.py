"""Acknowledge-by deadlines across weekends, bank holidays, LA holidays and clock changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.deadlines.calendar import (
    HolidayPeriod,
    SchoolCalendar,
    acknowledge_by,
    escalation_due_at,
    is_school_day,
)

LONDON = ZoneInfo("Europe/London")


def london(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=LONDON)


def utc(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


DEFAULT = SchoolCalendar()
FEB_HALF_TERM = HolidayPeriod(date(2026, 2, 16), date(2026, 2, 20), "February half-term")
CHRISTMAS_HOLIDAY = HolidayPeriod(date(2025, 12, 22), date(2026, 1, 2), "Christmas")
WITH_HALF_TERM = SchoolCalendar(holidays=(FEB_HALF_TERM,))
WITH_HALF_TERM_COVER = SchoolCalendar(holidays=(FEB_HALF_TERM,), holiday_cover=True)
WITH_CHRISTMAS = SchoolCalendar(holidays=(CHRISTMAS_HOLIDAY,))
WITH_CHRISTMAS_COVER = SchoolCalendar(holidays=(CHRISTMAS_HOLIDAY,), holiday_cover=True)
INSET_MONDAY = SchoolCalendar(holidays=(HolidayPeriod(date(2026, 1, 5), date(2026, 1, 5), "INSET"),))
LATE_START = SchoolCalendar(school_day_start=time(8, 45), grace=timedelta(minutes=60))

# (case, received_at, calendar, expected acknowledge_by in UTC, expected covered_by)
CASES = [
    ("before the start of a school day: that day", london(2026, 1, 20, 7, 0), DEFAULT, utc(2026, 1, 20, 10, 0), "setting"),
    ("one second before the start: that day", london(2026, 1, 20, 8, 29, 59), DEFAULT, utc(2026, 1, 20, 10, 0), "setting"),
    ("exactly at the start: the day has begun, next day", london(2026, 1, 20, 8, 30), DEFAULT, utc(2026, 1, 21, 10, 0), "setting"),
    ("just after the start: next day", london(2026, 1, 20, 8, 45), DEFAULT, utc(2026, 1, 21, 10, 0), "setting"),
    ("mid school day: next day", london(2026, 1, 20, 11, 0), DEFAULT, utc(2026, 1, 21, 10, 0), "setting"),
    ("Friday night: Monday", london(2026, 1, 16, 22, 0), DEFAULT, utc(2026, 1, 19, 10, 0), "setting"),
    ("Saturday: Monday", london(2026, 1, 17, 12, 0), DEFAULT, utc(2026, 1, 19, 10, 0), "setting"),
    ("Sunday late evening: Monday", london(2026, 1, 18, 23, 59), DEFAULT, utc(2026, 1, 19, 10, 0), "setting"),
    # Clocks go forward on Sunday 29 March 2026: Monday's 10:00 is BST, 09:00 UTC.
    ("Friday before clocks go forward", london(2026, 3, 27, 18, 0), DEFAULT, utc(2026, 3, 30, 9, 0), "setting"),
    ("Sunday clocks go forward", london(2026, 3, 29, 12, 0), DEFAULT, utc(2026, 3, 30, 9, 0), "setting"),
    ("Sunday clocks go forward, in the skipped hour's aftermath", datetime(2026, 3, 29, 1, 30, tzinfo=UTC), DEFAULT, utc(2026, 3, 30, 9, 0), "setting"),
    # Clocks go back on Sunday 25 October 2026: Monday's 10:00 is GMT, 10:00 UTC.
    ("Friday before clocks go back", london(2026, 10, 23, 18, 0), DEFAULT, utc(2026, 10, 26, 10, 0), "setting"),
    ("Sunday clocks go back", london(2026, 10, 25, 12, 0), DEFAULT, utc(2026, 10, 26, 10, 0), "setting"),
    ("Sunday clocks go back, in the repeated hour", datetime(2026, 10, 25, 0, 30, tzinfo=UTC), DEFAULT, utc(2026, 10, 26, 10, 0), "setting"),
    # Received in UTC: 07:45 UTC is 08:45 BST, after the start, so the next day.
    ("received as UTC in summer time, after the local start", utc(2026, 6, 16, 7, 45), DEFAULT, utc(2026, 6, 17, 9, 0), "setting"),
    ("received as UTC in summer time, before the local start", utc(2026, 6, 16, 7, 15), DEFAULT, utc(2026, 6, 16, 9, 0), "setting"),
    ("Christmas Eve 2025: after Christmas and Boxing Day and the weekend", london(2025, 12, 24, 15, 0), DEFAULT, utc(2025, 12, 29, 10, 0), "setting"),
    ("Christmas Eve 2026: Boxing Day substitute on Monday 28th", london(2026, 12, 24, 15, 0), DEFAULT, utc(2026, 12, 29, 10, 0), "setting"),
    ("New Year's Eve 2025: skip New Year's Day", london(2025, 12, 31, 14, 0), DEFAULT, utc(2026, 1, 2, 10, 0), "setting"),
    ("New Year's Eve 2026: New Year's Day is Friday", london(2026, 12, 31, 14, 0), DEFAULT, utc(2027, 1, 4, 10, 0), "setting"),
    ("Maundy Thursday: skip Good Friday, weekend, Easter Monday", london(2026, 4, 2, 16, 0), DEFAULT, utc(2026, 4, 7, 9, 0), "setting"),
    ("early on Easter Monday: Tuesday", london(2026, 4, 6, 7, 0), DEFAULT, utc(2026, 4, 7, 9, 0), "setting"),
    ("Friday before LA half-term, no cover: after half-term", london(2026, 2, 13, 17, 0), WITH_HALF_TERM, utc(2026, 2, 23, 10, 0), "setting"),
    ("midweek in LA half-term, no cover: after half-term", london(2026, 2, 18, 11, 0), WITH_HALF_TERM, utc(2026, 2, 23, 10, 0), "setting"),
    ("Friday before LA half-term, with cover: cover team on Monday", london(2026, 2, 13, 17, 0), WITH_HALF_TERM_COVER, utc(2026, 2, 16, 10, 0), "la_holiday_cover"),
    ("midweek in LA half-term, with cover: cover team next day", london(2026, 2, 18, 11, 0), WITH_HALF_TERM_COVER, utc(2026, 2, 19, 10, 0), "la_holiday_cover"),
    ("early on last day of half-term, with cover: cover team that day", london(2026, 2, 20, 7, 0), WITH_HALF_TERM_COVER, utc(2026, 2, 20, 10, 0), "la_holiday_cover"),
    ("last day of half-term after the start, with cover: school is back Monday", london(2026, 2, 20, 11, 0), WITH_HALF_TERM_COVER, utc(2026, 2, 23, 10, 0), "setting"),
    ("term time with cover configured: the setting", london(2026, 1, 20, 11, 0), WITH_HALF_TERM_COVER, utc(2026, 1, 21, 10, 0), "setting"),
    ("Christmas Eve in LA holiday, no cover: first day of term", london(2025, 12, 24, 15, 0), WITH_CHRISTMAS, utc(2026, 1, 5, 10, 0), "setting"),
    ("Christmas Eve in LA holiday, with cover: first working day after Boxing Day", london(2025, 12, 24, 15, 0), WITH_CHRISTMAS_COVER, utc(2025, 12, 29, 10, 0), "la_holiday_cover"),
    ("New Year's Eve in LA holiday, with cover: skip New Year's Day", london(2025, 12, 31, 14, 0), WITH_CHRISTMAS_COVER, utc(2026, 1, 2, 10, 0), "la_holiday_cover"),
    ("INSET day on Monday: Tuesday", london(2026, 1, 2, 18, 0), INSET_MONDAY, utc(2026, 1, 6, 10, 0), "setting"),
    ("custom start 08:45 and 60 minutes grace: same day before start", london(2026, 1, 20, 8, 40), LATE_START, utc(2026, 1, 20, 9, 45), "setting"),
    ("custom start 08:45: exactly at start is next day", london(2026, 1, 20, 8, 45), LATE_START, utc(2026, 1, 21, 9, 45), "setting"),
    ("custom start in summer time", london(2026, 6, 16, 8, 40), LATE_START, utc(2026, 6, 16, 8, 45), "setting"),
]


@pytest.mark.parametrize(
    ("received_at", "calendar", "expected", "covered_by"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_acknowledge_by(received_at, calendar, expected, covered_by):
    deadline = acknowledge_by(received_at, calendar)
    assert deadline.acknowledge_by == expected
    assert deadline.acknowledge_by.utcoffset() == timedelta(0)
    assert deadline.covered_by == covered_by


@pytest.mark.parametrize(
    ("received_at", "expected_offset"),
    [
        (london(2026, 3, 29, 12, 0), timedelta(hours=1)),  # March change: Monday is BST
        (london(2026, 10, 25, 12, 0), timedelta(0)),  # October change: Monday is GMT
    ],
)
def test_deadline_after_clock_change_is_ten_oclock_local(received_at, expected_offset):
    local = acknowledge_by(received_at, DEFAULT).acknowledge_by.astimezone(LONDON)
    assert local.time() == time(10, 0)
    assert local.utcoffset() == expected_offset


def test_naive_receipt_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        acknowledge_by(datetime(2026, 1, 20, 7, 0), DEFAULT)


def test_holiday_lasting_over_a_year_is_reported_as_misconfiguration():
    endless = SchoolCalendar(holidays=(HolidayPeriod(date(2026, 1, 1), date(2027, 12, 31)),))
    with pytest.raises(ValueError, match="holiday configuration"):
        acknowledge_by(london(2026, 1, 20, 11, 0), endless)


def test_holiday_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        HolidayPeriod(date(2026, 2, 20), date(2026, 2, 16), "typo")


@pytest.mark.parametrize(
    ("day", "calendar", "expected"),
    [
        (date(2026, 1, 20), DEFAULT, True),  # ordinary Tuesday
        (date(2026, 1, 17), DEFAULT, False),  # Saturday
        (date(2026, 1, 18), DEFAULT, False),  # Sunday
        (date(2026, 5, 4), DEFAULT, False),  # Early May bank holiday
        (date(2026, 8, 31), DEFAULT, False),  # Summer bank holiday (England, not Scotland's)
        (date(2026, 8, 3), DEFAULT, True),  # Scotland's summer bank holiday is not England's
        (date(2026, 3, 17), DEFAULT, True),  # St Patrick's Day is Northern Ireland only
        (date(2026, 2, 18), WITH_HALF_TERM, False),  # LA half-term
        (date(2026, 2, 18), DEFAULT, True),  # another LA without that half-term
    ],
)
def test_is_school_day(day, calendar, expected):
    assert is_school_day(day, calendar) is expected


def test_escalation_is_two_hours_after_the_deadline_by_default():
    deadline = acknowledge_by(london(2026, 1, 20, 7, 0), DEFAULT).acknowledge_by
    assert escalation_due_at(deadline) == utc(2026, 1, 20, 12, 0)
    assert escalation_due_at(deadline, timedelta(minutes=30)) == utc(2026, 1, 20, 10, 30)


def test_escalation_time_is_returned_in_utc():
    due = escalation_due_at(london(2026, 6, 16, 10, 0))
    assert due == utc(2026, 6, 16, 11, 0)
    assert due.utcoffset() == timedelta(0)
