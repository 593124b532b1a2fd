"""Holiday cover on the ladder: with the setting closed, nobody chases its deputies; the LA is escalated to at the deadline."""

from datetime import timedelta

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.laworkspace import item as la_item
from service.laworkspace import officer as la_officer
from service.notifications.models import Notification
from tests.school_holidays import close_schools_for_holiday

BRIMINGTON_JUNIOR = "112517"
DERBYSHIRE_TEAM = "education.safeguarding@derbyshire.example.gov.uk"


@pytest.fixture
def closed_school(db, onboard, la_officer, forces):
    """Brimington Junior with a Key Adult and a deputy, closed for a holiday Derbyshire's cover team works."""
    close_schools_for_holiday(db, "830", cover=True)
    return {"key_adult": onboard(BRIMINGTON_JUNIOR), "deputy": onboard(BRIMINGTON_JUNIOR, role="deputy"),
            "officer": la_officer("830")}


def _fresh(db, notification_id) -> Notification:
    db.expire_all()
    return db.get(Notification, notification_id)


def _emails(worker):
    sent = sorted((e.template, e.email_address, e.link) for e in worker.email_sender.sent)
    worker.email_sender.sent.clear()
    return sent


def test_the_la_is_escalated_to_at_the_deadline_and_the_deputies_on_holiday_are_not_chased(
    db, closed_school, post_incident, make_worker, clock
):
    [posted] = post_incident()
    notification_id = posted["id"]
    deadline = _fresh(db, notification_id).acknowledge_by
    link, la_link = (f"https://encompass.test/notifications/{notification_id}",
                     f"https://encompass.test/la/notifications/{notification_id}")
    officer_email = closed_school["officer"].email
    worker = make_worker()

    clock.now = deadline - timedelta(minutes=1)
    worker.run_once()
    # The school hears for when it reopens; the cover team hears now.
    assert _emails(worker) == sorted([
        ("notification_waiting", closed_school["key_adult"].email, link),
        ("notification_waiting", closed_school["deputy"].email, link),
        ("notification_waiting", DERBYSHIRE_TEAM, la_link),
        ("notification_waiting", officer_email, la_link),
    ])

    clock.now = deadline + timedelta(minutes=1)
    report = worker.run_once()
    assert (report.deputies_alerted, report.escalated) == (0, 1)
    assert _emails(worker) == sorted([("escalated_to_la", DERBYSHIRE_TEAM, la_link),
                                      ("escalated_to_la", officer_email, la_link)])
    stored = _fresh(db, notification_id)
    assert (stored.status, stored.la_queue, stored.deputies_alerted_at) == ("escalated", "escalated", None)
    assert stored.recipient_urn == BRIMINGTON_JUNIOR  # the school still holds it for when it reopens

    clock.now = deadline + timedelta(hours=3)
    report = worker.run_once()
    assert (report.deputies_alerted, report.escalated, report.sent) == (0, 0, 0)
    assert not db.exec(select(OutboxMessage).where(OutboxMessage.template == "deadline_missed_deputies")).first()


def test_the_cover_team_acknowledging_in_time_stops_the_ladder(db, closed_school, post_incident, make_worker, clock):
    [posted] = post_incident()
    deadline = _fresh(db, posted["id"]).acknowledge_by
    officer = la_officer.Officer(id=closed_school["officer"].id, la_codes=frozenset({"830"}))
    la_item.acknowledge(db, officer, posted["id"], now=deadline - timedelta(hours=1))
    db.commit()
    worker = make_worker()

    clock.now = deadline + timedelta(hours=3)
    report = worker.run_once()
    assert (report.deputies_alerted, report.escalated) == (0, 0)
    stored = _fresh(db, posted["id"])
    assert (stored.status, stored.escalated_at, stored.la_queue) == ("acknowledged", None, "holiday_cover")
