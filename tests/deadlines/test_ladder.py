"""The escalation ladder: deputies first, then the LA, never after acknowledgement."""

from datetime import UTC, datetime, timedelta

import pytest

from service.deadlines.ladder import LadderStep, next_ladder_step

DEADLINE = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)
TWO_HOURS = timedelta(hours=2)
ESCALATION = DEADLINE + TWO_HOURS


def step(now, *, acknowledged_at=None, deputies_alerted_at=None, escalated_at=None):
    return next_ladder_step(
        acknowledge_by=DEADLINE,
        acknowledged_at=acknowledged_at,
        deputies_alerted_at=deputies_alerted_at,
        escalated_at=escalated_at,
        now=now,
        escalate_after=TWO_HOURS,
    )


@pytest.mark.parametrize(
    ("case", "now", "state", "expected"),
    [
        ("before the deadline: nothing", DEADLINE - timedelta(minutes=1), {}, None),
        ("at the deadline exactly: still on time", DEADLINE, {}, None),
        ("just past the deadline: alert deputies", DEADLINE + timedelta(seconds=1), {}, LadderStep("alert_deputies", DEADLINE)),
        ("deputies alerted, within two hours: wait", DEADLINE + timedelta(hours=1), {"deputies_alerted_at": DEADLINE}, None),
        ("deputies alerted, two hours exactly: wait", ESCALATION, {"deputies_alerted_at": DEADLINE}, None),
        ("deputies alerted, past two hours: escalate", ESCALATION + timedelta(seconds=1), {"deputies_alerted_at": DEADLINE}, LadderStep("escalate_to_la", ESCALATION)),
        ("worker was down past both: deputies first", ESCALATION + timedelta(hours=5), {}, LadderStep("alert_deputies", DEADLINE)),
        ("already escalated: nothing more", ESCALATION + timedelta(hours=5), {"deputies_alerted_at": DEADLINE, "escalated_at": ESCALATION}, None),
        ("acknowledged late, before any alert: nothing", ESCALATION + timedelta(hours=5), {"acknowledged_at": DEADLINE + timedelta(minutes=5)}, None),
        ("acknowledged after deputies alert: no escalation", ESCALATION + timedelta(hours=5), {"acknowledged_at": DEADLINE + timedelta(hours=1), "deputies_alerted_at": DEADLINE}, None),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_next_ladder_step(case, now, state, expected):
    assert step(now, **state) == expected


def test_escalate_after_comes_from_the_la_configuration():
    now = DEADLINE + timedelta(minutes=45)
    assert next_ladder_step(
        acknowledge_by=DEADLINE,
        acknowledged_at=None,
        deputies_alerted_at=DEADLINE,
        escalated_at=None,
        now=now,
        escalate_after=timedelta(minutes=30),
    ) == LadderStep("escalate_to_la", DEADLINE + timedelta(minutes=30))


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        step(datetime(2026, 1, 20, 11, 0))
