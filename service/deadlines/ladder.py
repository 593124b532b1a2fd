"""The escalation ladder: what the worker does next for an unacknowledged notification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class LadderStep:
    """One rung the worker should act on now, and when it became due."""

    kind: Literal["alert_deputies", "escalate_to_la"]
    due_at: datetime


def next_ladder_step(
    *,
    acknowledge_by: datetime,
    acknowledged_at: datetime | None,
    deputies_alerted_at: datetime | None,
    escalated_at: datetime | None,
    now: datetime,
    escalate_after: timedelta,
    deputies: bool = True,
) -> LadderStep | None:
    """The step due now, lowest rung first, or None when nothing is due.

    Deputies are alerted as soon as the deadline has passed; escalation to the LA
    follows escalate_after later. A worker that was down past both gets the deputies'
    alert first and the escalation on its next pass. Once escalated, the LA owns the
    notification, so no lower rung is still owed.

    With `deputies` False (the LA owns it, or its holiday cover team does while the setting is closed) there is no
    one at a setting to chase: the LA is escalated to as soon as the deadline has passed.
    """
    for name, moment in (("acknowledge_by", acknowledge_by), ("now", now)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if acknowledged_at is not None or escalated_at is not None:
        return None
    if not deputies:
        return LadderStep(kind="escalate_to_la", due_at=acknowledge_by) if now > acknowledge_by else None
    if now > acknowledge_by and deputies_alerted_at is None:
        return LadderStep(kind="alert_deputies", due_at=acknowledge_by)
    escalate_at = acknowledge_by + escalate_after
    if now > escalate_at:
        return LadderStep(kind="escalate_to_la", due_at=escalate_at)
    return None
