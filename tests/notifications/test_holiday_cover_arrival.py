"""Holiday cover at arrival: a closed setting's notification also alerts the LA's cover team; otherwise only the setting."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.deadlines.calendar import LONDON
from service.notifications.models import Notification
from tests.builders import child_entry
from tests.school_holidays import close_schools_for_holiday

BRIMINGTON_JUNIOR = "112517"  # Derbyshire (830)


def _alerts(db, notification_id: str) -> set[tuple[str, str, str, str]]:
    rows = db.exec(select(OutboxMessage).where(OutboxMessage.notification_id == notification_id))
    return {(m.template, m.audience, m.audience_ref, m.link) for m in rows}


@pytest.fixture
def key_adult(forces, onboard):
    return onboard(BRIMINGTON_JUNIOR)


def test_under_holiday_cover_the_closed_setting_and_the_la_team_are_both_alerted(db, key_adult, post_incident):
    close_schools_for_holiday(db, "830", cover=True)
    [sent] = post_incident()
    notification_id = sent["id"]

    assert _alerts(db, notification_id) == {
        ("notification_waiting", "setting", BRIMINGTON_JUNIOR, f"https://encompass.test/notifications/{notification_id}"),
        ("notification_waiting", "local_authority", "830", f"https://encompass.test/la/notifications/{notification_id}"),
    }
    stored = db.get(Notification, notification_id)
    # The setting still holds it; the LA's cover team works it from their holiday cover queue.
    assert (stored.recipient_urn, stored.covered_by, stored.la_queue) == (BRIMINGTON_JUNIOR, "la_holiday_cover", "holiday_cover")
    assert sent["routing"]["outcome"] == "setting"


def test_without_holiday_cover_only_the_setting_is_alerted(db, key_adult, post_incident):
    close_schools_for_holiday(db, "830", cover=False)
    [sent] = post_incident()

    assert _alerts(db, sent["id"]) == {
        ("notification_waiting", "setting", BRIMINGTON_JUNIOR, f"https://encompass.test/notifications/{sent['id']}"),
    }
    stored = db.get(Notification, sent["id"])
    assert (stored.covered_by, stored.la_queue) == ("setting", None)
    # With nobody covering, the deadline waits for the setting to reopen after the holiday.
    assert stored.acknowledge_by.astimezone(LONDON).date() > datetime.now(LONDON).date() + timedelta(days=30)


def test_a_child_the_la_already_owns_gets_one_alert_to_the_la_even_under_cover(db, key_adult, post_incident):
    close_schools_for_holiday(db, "830", cover=True)
    [sent] = post_incident(child_entry("C1", urn=None, education_status="missing_education"))

    assert _alerts(db, sent["id"]) == {
        ("notification_waiting", "local_authority", "830", f"https://encompass.test/la/notifications/{sent['id']}"),
    }
    assert db.get(Notification, sent["id"]).la_queue == "not_in_school"
