"""The escalation tests drive the same worker as the alert tests, so they share its fixtures."""

from tests.alerts.conftest import child, clock, la_officer, make_worker  # noqa: F401
