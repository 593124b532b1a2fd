"""Acknowledge-by deadlines and the escalation ladder, as pure functions."""

from service.deadlines.calendar import (
    Deadline,
    HolidayPeriod,
    SchoolCalendar,
    acknowledge_by,
    escalation_due_at,
    is_overdue,
    is_school_day,
    is_working_day,
)
from service.deadlines.ladder import LadderStep, next_ladder_step

__all__ = [
    "Deadline",
    "HolidayPeriod",
    "LadderStep",
    "SchoolCalendar",
    "acknowledge_by",
    "escalation_due_at",
    "is_overdue",
    "is_school_day",
    "is_working_day",
    "next_ladder_step",
]
