"""The Key Adult's pure rules and wording: deadlines in London time, the repeat-incident window, form rules, guidance fallbacks."""

from datetime import UTC, date, datetime

import pytest

from service import wording
from service.dates import months_before
from service.keyadult.guidance import guidance_for
from service.keyadult.routes_portal import pagination_items
from service.keyadult.inbox import page_slices
from service.deadlines import is_overdue
from service.keyadult.service import (action_problems, close_problems, incidents_in_window, risk_rank,
                                      send_back_problems)
from service.localauthorities.models import LocalAuthority


def test_deadline_is_said_in_london_time_in_winter_and_summer():
    assert wording.time_on_day(datetime(2026, 11, 24, 10, 0, tzinfo=UTC)) == "24 November 2026 at 10:00am"
    # British Summer Time: 09:00 UTC is 10:00 in London.
    assert wording.time_on_day(datetime(2026, 6, 16, 9, 0, tzinfo=UTC)) == "16 June 2026 at 10:00am"
    assert wording.day_at_time(datetime(2026, 11, 23, 21, 5, tzinfo=UTC)) == "23 November 2026 at 9:05pm"
    assert wording.clock_time(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)) == "12:00pm"
    assert wording.clock_time(datetime(2026, 11, 23, 0, 30, tzinfo=UTC)) == "12:30am"


def test_a_purged_child_is_shown_as_details_removed():
    assert wording.child_name("Ellie", "Brookes") == "Ellie Brookes"
    assert wording.child_name(None, None) == wording.DETAILS_REMOVED == "Details removed"


def test_overdue_only_while_unacknowledged_after_the_deadline():
    deadline = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert is_overdue(deadline, None, datetime(2026, 11, 24, 10, 1, tzinfo=UTC))
    assert not is_overdue(deadline, None, datetime(2026, 11, 24, 9, 59, tzinfo=UTC))
    assert not is_overdue(deadline, datetime(2026, 11, 24, 11, 0, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))
    assert not is_overdue(None, None, datetime(2026, 11, 25, tzinfo=UTC))


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 11, 23), date(2026, 8, 23)),
    (date(2026, 5, 31), date(2026, 2, 28)),
    (date(2028, 5, 31), date(2028, 2, 29)),
    (date(2027, 2, 10), date(2026, 11, 10)),
    (date(2027, 3, 31), date(2026, 12, 31)),
])
def test_three_months_before_clamps_to_the_end_of_the_month(day, expected):
    assert months_before(day, 3) == expected


def test_repeat_window_counts_incidents_in_the_three_months_up_to_this_one():
    this = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    inside = [datetime(2026, 8, 23, 1, 0, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)]
    outside = [datetime(2026, 8, 22, 23, 0, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)]
    assert incidents_in_window([*inside, *outside, this], this) == 3


def test_an_action_needs_a_choice_and_other_needs_a_note():
    assert action_problems(None, "", acknowledged=True) == {"action": "Select what you did"}
    assert action_problems("made_up", "", acknowledged=True) == {"action": "Select what you did"}
    assert action_problems("other", "   ", acknowledged=True) == {"note": "Enter a note saying what you did"}
    assert action_problems("other", "Spoke to the class teacher", acknowledged=True) == {}
    assert action_problems("observed_no_concerns", "", acknowledged=True) == {}
    assert "note" in action_problems("support_in_school", "x" * 4001, acknowledged=True)


def test_actions_wait_for_acknowledgement_and_not_on_roll_is_not_one_of_them():
    assert action_problems("support_in_school", "", acknowledged=False) == {
        "acknowledge": "Acknowledge the notification before recording what you did"}
    assert action_problems("support_in_school", "", acknowledged=True) == {}
    # Sending back has its own page that names the child and asks why; it is not a choice among the actions.
    assert action_problems("not_on_roll", "Left in July", acknowledged=True) == {"action": "Select what you did"}


def test_sending_back_needs_a_reason_and_an_open_notification():
    assert send_back_problems("  ", closed=False) == {"reason": "Enter why the child is not on your roll"}
    assert send_back_problems("Left in July", closed=False) == {}
    assert send_back_problems("x" * 4001, closed=False) == {"reason": "The reason must be 4,000 characters or fewer"}
    assert send_back_problems("Left in July", closed=True) == {
        "reason": "This notification is closed, so it can no longer be sent back"}


def test_high_risk_sorts_before_medium_unassessed_and_standard():
    levels = ["standard", "not_assessed", "high", None, "medium"]
    assert sorted(levels, key=risk_rank) == ["high", "medium", "not_assessed", "standard", None]


@pytest.mark.parametrize(("waiting", "offset", "expected"), [
    (0, 0, ((0, 0), (0, 25))),  # nothing waiting: the page is all the rest
    (3, 0, ((0, 3), (0, 22))),  # three waiting, then the newest 22 of the rest
    (30, 0, ((0, 25), (0, 0))),
    (30, 25, ((25, 5), (0, 20))),  # page 2 finishes the waiting list and starts the rest
    (30, 50, ((0, 0), (20, 25))),  # page 3: the rest, after the 20 page 2 showed
])
def test_a_page_is_the_waiting_list_then_the_rest(waiting, offset, expected):
    assert page_slices(waiting=waiting, offset=offset, size=25) == expected


def test_closing_needs_acknowledgement_and_an_action():
    assert "acknowledge" in close_problems(acknowledged=False, action_count=1)
    assert "close" in close_problems(acknowledged=True, action_count=0)
    assert close_problems(acknowledged=True, action_count=2) == {}


def test_guidance_uses_the_local_authoritys_contacts():
    authority = LocalAuthority(
        code="830", name="Derbyshire", threshold_document_url="https://www.ddscp.org.uk/",
        social_care_front_door_name="Starting Point", social_care_front_door_phone="01629 533190",
        social_care_front_door_url="https://example.gov.uk/starting-point", social_care_out_of_hours_phone="01629 532600",
    )
    guidance = guidance_for(authority)
    assert guidance.threshold_document.url == "https://www.ddscp.org.uk/"
    assert guidance.threshold_document.name == "Derbyshire threshold document"
    assert (guidance.front_door.name, guidance.front_door.phone) == ("Starting Point", "01629 533190")
    assert guidance.out_of_hours_phone == "01629 532600"


@pytest.mark.parametrize("authority", [None, LocalAuthority(code="892", name="Nottingham")])
def test_guidance_falls_back_to_safe_wording_when_contacts_are_not_configured(authority):
    guidance = guidance_for(authority)
    assert not guidance.threshold_document.configured and guidance.threshold_document.url is None
    assert not guidance.front_door.configured and "social care" in guidance.front_door.name
    assert guidance.emergency_number == "999"
    assert guidance.helpline_phone == "0204 513 9990"


def test_guidance_always_says_do_not_ask_watch_and_support():
    guidance = guidance_for(None)
    assert any("Do not ask the child" in point for point in guidance.do_not_ask.points)
    watched = " ".join(guidance.watch_for.points).lower()
    for sign in ("behaviour", "withdrawn", "anxious", "attendance", "punctuality", "concentrating", "tiredness"):
        assert sign in watched
    support = " ".join(guidance.support.points).lower()
    for offer in ("trusted adult", "calm", "how are you", "allowances"):
        assert offer in support


def test_pagination_shows_first_last_and_neighbours_with_gaps():
    assert pagination_items(1, 1) == [1]
    assert pagination_items(1, 3) == [1, 2, 3]
    assert pagination_items(5, 10) == [1, None, 4, 5, 6, None, 10]
    assert pagination_items(10, 10) == [1, None, 9, 10]
