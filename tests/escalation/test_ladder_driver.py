"""The worker climbs the escalation ladder on its own: deputies at the deadline, the LA two hours later."""

import os
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.escalation import service as escalation_service
from service.notifications.models import Notification, NotificationEvent

BRIMINGTON_JUNIOR = "112517"
DERBYSHIRE_TEAM = "education.safeguarding@derbyshire.example.gov.uk"
ON_POSTGRESQL = os.environ.get("TEST_DATABASE", "sqlite") == "postgresql"


def _fresh(db, notification_id) -> Notification:
    db.expire_all()
    return db.get(Notification, notification_id)


def _emails(worker):
    sent = [(e.template, e.email_address, e.link) for e in worker.email_sender.sent]
    worker.email_sender.sent.clear()
    return sorted(sent)


def _acknowledge(db, key_adult, notification_id, at):
    """What the Key Adult's Acknowledge button does."""
    from service.keyadult.service import StaffMember, acknowledge

    assert acknowledge(db, staff=StaffMember(user_id=key_adult.id, urns=frozenset({BRIMINGTON_JUNIOR})),
                       notification_id=notification_id, now=at)
    db.commit()


@pytest.fixture
def school(onboard, la_officer, forces):
    """Brimington Junior with a Key Adult and a deputy; Derbyshire with one officer and its team mailbox."""
    return {"key_adult": onboard(BRIMINGTON_JUNIOR), "deputy": onboard(BRIMINGTON_JUNIOR, role="deputy"),
            "officer": la_officer("830")}


def test_deputies_at_the_deadline_then_the_la_two_hours_later_without_anyone_opening_a_page(
    db, school, post_incident, make_worker, clock
):
    [posted] = post_incident()
    notification_id = posted["id"]
    deadline = _fresh(db, notification_id).acknowledge_by
    link, la_link = (f"https://encompass.test/notifications/{notification_id}",
                     f"https://encompass.test/la/notifications/{notification_id}")
    worker = make_worker()

    clock.now = deadline - timedelta(minutes=1)
    worker.run_once()
    assert _emails(worker) == sorted([("notification_waiting", school["key_adult"].email, link),
                                      ("notification_waiting", school["deputy"].email, link)])

    clock.now = deadline + timedelta(minutes=1)
    assert worker.run_once().deputies_alerted == 1
    assert _emails(worker) == [("deadline_missed_deputies", school["deputy"].email, link)]
    stored = _fresh(db, notification_id)
    assert stored.deputies_alerted_at == clock.now and stored.status == "sent" and stored.escalated_at is None

    clock.now = deadline + timedelta(hours=1, minutes=59)
    report = worker.run_once()
    assert (report.deputies_alerted, report.escalated, report.sent) == (0, 0, 0)

    clock.now = deadline + timedelta(hours=2, minutes=1)
    assert worker.run_once().escalated == 1
    assert _emails(worker) == sorted([("escalated_to_la", DERBYSHIRE_TEAM, la_link),
                                      ("escalated_to_la", school["officer"].email, la_link)])
    stored = _fresh(db, notification_id)
    assert (stored.status, stored.la_queue, stored.escalated_at) == ("escalated", "escalated", clock.now)
    assert stored.recipient_urn == BRIMINGTON_JUNIOR  # the school can still acknowledge it
    event = db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == notification_id,
                                                    NotificationEvent.status == "escalated")).one()
    assert event.actor_type == "worker" and event.detail["from_queue"] is None
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.escalated")).one()
    assert (audit.object_id, audit.actor_type, audit.detail["la_code"]) == (notification_id, "worker", "830")

    clock.now = deadline + timedelta(days=3)
    worker.run_once()
    assert _emails(worker) == []


def test_a_late_acknowledgement_stops_the_ladder(db, school, post_incident, make_worker, clock):
    [posted] = post_incident()
    deadline = _fresh(db, posted["id"]).acknowledge_by
    worker = make_worker()
    clock.now = deadline + timedelta(minutes=30)
    worker.run_once()
    assert _fresh(db, posted["id"]).deputies_alerted_at is not None

    _acknowledge(db, school["key_adult"], posted["id"], at=deadline + timedelta(minutes=45))
    clock.now = deadline + timedelta(hours=5)
    assert worker.run_once().escalated == 0
    stored = _fresh(db, posted["id"])
    assert (stored.status, stored.escalated_at) == ("acknowledged", None)
    assert db.exec(select(OutboxMessage).where(OutboxMessage.template == "escalated_to_la")).all() == []


def test_acknowledged_in_time_means_nobody_is_chased(db, school, post_incident, make_worker, clock):
    [posted] = post_incident()
    deadline = _fresh(db, posted["id"]).acknowledge_by
    _acknowledge(db, school["key_adult"], posted["id"], at=deadline - timedelta(hours=1))
    worker = make_worker()
    clock.now = deadline + timedelta(hours=6)
    worker.run_once()
    assert {e[0] for e in _emails(worker)} == {"notification_waiting"}


def test_a_notification_the_la_owns_goes_to_its_officers_at_the_deadline(db, forces, la_officer, post_incident, make_worker, clock, child):
    officer = la_officer("830")
    [posted] = post_incident(child(education_status="elective_home_education", setting_urn=None))
    deadline = _fresh(db, posted["id"]).acknowledge_by
    worker = make_worker()
    clock.now = deadline + timedelta(minutes=1)
    worker.run_once()
    escalated = [e for e in _emails(worker) if e[0] == "escalated_to_la"]
    assert sorted(e[1] for e in escalated) == sorted([DERBYSHIRE_TEAM, officer.email])
    stored = _fresh(db, posted["id"])
    assert (stored.status, stored.la_queue) == ("escalated", "escalated")
    event = db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == posted["id"],
                                                    NotificationEvent.status == "escalated")).one()
    assert event.detail["from_queue"] == "not_in_school"  # why the LA owned it is kept


def test_a_setting_without_deputies_reminds_its_key_adult(db, onboard, post_incident, make_worker, clock):
    key_adult = onboard(BRIMINGTON_JUNIOR)
    [posted] = post_incident()
    deadline = _fresh(db, posted["id"]).acknowledge_by
    worker = make_worker()
    clock.now = deadline + timedelta(minutes=1)
    worker.run_once()
    assert ("deadline_missed_deputies", key_adult.email, f"https://encompass.test/notifications/{posted['id']}") in _emails(worker)


def test_escalate_after_is_configurable(db, school, post_incident, make_worker, clock):
    [posted] = post_incident()
    deadline = _fresh(db, posted["id"]).acknowledge_by
    worker = make_worker(escalate_after=timedelta(minutes=30))
    clock.now = deadline + timedelta(minutes=1)
    worker.run_once()
    clock.now = deadline + timedelta(minutes=31)
    assert worker.run_once().escalated == 1


def test_a_worker_that_was_down_alerts_deputies_before_escalating(db, school, post_incident, make_worker, clock):
    [posted] = post_incident()
    deadline = _fresh(db, posted["id"]).acknowledge_by
    worker = make_worker()
    clock.now = deadline + timedelta(hours=6)
    first, second = worker.run_once(), worker.run_once()
    assert (first.deputies_alerted, first.escalated) == (1, 0)
    assert (second.deputies_alerted, second.escalated) == (0, 1)


def test_applying_the_same_step_twice_writes_it_once(db, school, post_incident, make_worker, clock):
    [posted] = post_incident()
    deadline = _fresh(db, posted["id"]).acknowledge_by
    db.commit()
    now = deadline + timedelta(minutes=1)
    first = escalation_service.apply_ladder_step(db, posted["id"], now=now, escalate_after=timedelta(hours=2))
    db.commit()
    second = escalation_service.apply_ladder_step(db, posted["id"], now=now, escalate_after=timedelta(hours=2))
    db.commit()
    assert first is not None and first.kind == "alert_deputies"
    assert second is None
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.template == "deadline_missed_deputies")).all()) == 1


def test_corrected_incidents_do_not_chase_the_superseded_notification(db, school, post_incident, make_worker, clock, child):
    [old] = post_incident(reference="DC-CORRECTED")
    [new] = post_incident(child(spoken_to=True), reference="DC-CORRECTED")
    deadline = _fresh(db, new["id"]).acknowledge_by
    worker = make_worker()
    clock.now = deadline + timedelta(minutes=1)
    assert worker.run_once().deputies_alerted == 1
    assert _fresh(db, old["id"]).deputies_alerted_at is None


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRESQL, reason="concurrent workers need PostgreSQL (SQLite runs one worker)")
def test_two_workers_climbing_at_once_alert_each_notifications_deputies_once(db, school, post_incident, make_worker, clock, child):
    posted = post_incident(*(child(f"C{i}") for i in range(20))) + post_incident(*(child(f"C{i}") for i in range(10)))
    deadline = max(_fresh(db, n["id"]).acknowledge_by for n in posted)
    clock.now = deadline + timedelta(minutes=1)
    workers = [make_worker(worker_id="a"), make_worker(worker_id="b")]
    start = threading.Barrier(2)
    taken = {}

    def climb(worker):
        start.wait()
        taken[worker.worker_id] = worker.climb_ladder().deputies_alerted

    threads = [threading.Thread(target=climb, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(taken.values()) == 30
    alerts = db.exec(select(OutboxMessage).where(OutboxMessage.template == "deadline_missed_deputies")).all()
    assert sorted(a.notification_id for a in alerts) == sorted(n["id"] for n in posted)
