"""The ladder with no deputies to chase (the LA owns it, or covers a closed setting): the LA at the deadline, once."""

from datetime import UTC, datetime, timedelta

import pytest

from service.deadlines.calendar import la_covers_setting
from service.deadlines.ladder import LadderStep, next_ladder_step

DEADLINE = datetime(2026, 12, 23, 10, 0, tzinfo=UTC)


def step(now, **state):
    values = {"acknowledged_at": None, "deputies_alerted_at": None, "escalated_at": None, **state}
    return next_ladder_step(acknowledge_by=DEADLINE, now=now, escalate_after=timedelta(hours=2), deputies=False, **values)


@pytest.mark.parametrize(
    ("case", "now", "state", "expected"),
    [
        ("before the deadline: nothing", DEADLINE - timedelta(minutes=1), {}, None),
        ("at the deadline exactly: still on time", DEADLINE, {}, None),
        ("just past the deadline: the LA at once", DEADLINE + timedelta(seconds=1), {},
         LadderStep("escalate_to_la", DEADLINE)),
        ("acknowledged by the cover team: nothing", DEADLINE + timedelta(hours=5), {"acknowledged_at": DEADLINE}, None),
        ("already escalated: nothing", DEADLINE + timedelta(hours=5), {"escalated_at": DEADLINE}, None),
    ],
)
def test_no_deputies_rung(case, now, state, expected):
    assert step(now, **state) == expected, case


@pytest.mark.parametrize(
    ("covered_by", "recipient_urn", "expected"),
    [("la_holiday_cover", "112517", True), ("setting", "112517", False), ("la_holiday_cover", None, False),
     (None, "112517", False)],
)
def test_only_a_settings_notification_under_cover_is_the_cover_teams(covered_by, recipient_urn, expected):
    assert la_covers_setting(covered_by=covered_by, recipient_urn=recipient_urn) is expected
