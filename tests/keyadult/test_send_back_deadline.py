"""Sending a child back to the LA ("not on our roll") gives the LA its own acknowledge-by deadline, on its own calendar."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.escalation.service import apply_ladder_step
from service.keyadult import service as keyadult_service
from service.keyadult.service import StaffMember
from service.localauthorities.models import LocalAuthority
from service.notifications.models import Notification, NotificationEvent
from tests.keyadult.conftest import BRIMINGTON_JUNIOR

ESCALATE_AFTER = timedelta(minutes=120)
# A Wednesday afternoon in term, well after any deadline set when the test posts its incident today.
SENT_BACK_AT = datetime(2031, 3, 5, 14, 0, tzinfo=UTC)


def _derbyshire_starts_at_nine_with_half_an_hour_grace(db) -> None:
    # A calendar unlike the national default (08:30 + 90 minutes), so the deadline shows whose calendar was used.
    derbyshire = db.get(LocalAuthority, "830")
    derbyshire.school_day_start, derbyshire.grace_minutes = "09:00", 30
    db.add(derbyshire)
    db.commit()


def _send_back(db, user, notification_id: str, now: datetime) -> Notification:
    staff = StaffMember(user_id=user.id, urns=frozenset({BRIMINGTON_JUNIOR}))
    keyadult_service.send_back(db, staff=staff, notification_id=notification_id,
                               reason="Moved to a school in Sheffield at half term.", now=now)
    db.commit()
    db.expire_all()
    return db.get(Notification, notification_id)


def _ladder(db, notification_id: str, now: datetime):
    step = apply_ladder_step(db, notification_id, now=now, escalate_after=ESCALATE_AFTER)
    db.commit()
    db.expire_all()
    return step


def test_the_la_gets_a_deadline_from_the_moment_of_send_back_on_its_own_calendar(client, db, police_key, post_incident,
                                                                                  key_adult):
    user = key_adult(BRIMINGTON_JUNIOR)
    notification_id = post_incident()["C1"]["id"]
    setting_deadline = db.get(Notification, notification_id).acknowledge_by
    _derbyshire_starts_at_nine_with_half_an_hour_grace(db)

    notification = _send_back(db, user, notification_id, SENT_BACK_AT)

    # Thursday 09:00 London (GMT in early March) plus 30 minutes of Derbyshire's grace.
    assert notification.acknowledge_by == datetime(2031, 3, 6, 9, 30, tzinfo=UTC) != setting_deadline
    police_view = client.get(f"/api/v1/notifications/{notification_id}",
                             headers={"Authorization": f"Bearer {police_key}"}).json()
    assert police_view["acknowledge_by"].startswith("2031-03-06T09:30:00")
    [event] = db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == notification_id,
                                                      NotificationEvent.status == "rerouted")).all()
    assert event.detail["event"] == "sent_back"
    assert event.detail["acknowledge_by"].startswith("2031-03-06T09:30:00")


def test_a_setting_that_missed_its_deadline_does_not_get_the_la_escalated_at_once(client, db, police_key, post_incident,
                                                                                  key_adult):
    user = key_adult(BRIMINGTON_JUNIOR)
    notification_id = post_incident()["C1"]["id"]
    setting_deadline = db.get(Notification, notification_id).acknowledge_by
    # The setting's deputies were chased when the deadline passed; days later the Key Adult says the child is not theirs.
    assert _ladder(db, notification_id, setting_deadline + timedelta(minutes=1)).kind == "alert_deputies"
    sent_back_at = setting_deadline + timedelta(days=2)

    notification = _send_back(db, user, notification_id, sent_back_at)
    assert notification.acknowledge_by > sent_back_at
    alerts_before = len(db.exec(select(OutboxMessage)).all())

    # The worker's next passes before the LA's deadline leave the LA's queue as it is.
    for later in (sent_back_at + timedelta(minutes=1), notification.acknowledge_by - timedelta(minutes=1)):
        assert _ladder(db, notification_id, later) is None
    notification = db.get(Notification, notification_id)
    assert (notification.la_queue, notification.status, notification.escalated_at) == ("sent_back", "rerouted", None)
    assert len(db.exec(select(OutboxMessage)).all()) == alerts_before

    # Missed by the LA too: its officers are told once its own deadline has passed.
    step = _ladder(db, notification_id, notification.acknowledge_by + timedelta(minutes=1))
    assert step is not None and step.due_at == notification.acknowledge_by
    assert db.get(Notification, notification_id).la_queue == "escalated"


def test_an_acknowledgement_by_the_setting_does_not_stand_for_the_la(client, db, post_incident, key_adult):
    user = key_adult(BRIMINGTON_JUNIOR)
    notification_id = post_incident()["C1"]["id"]
    staff = StaffMember(user_id=user.id, urns=frozenset({BRIMINGTON_JUNIOR}))
    acknowledged_at = db.get(Notification, notification_id).received_at + timedelta(minutes=5)
    assert keyadult_service.acknowledge(db, staff=staff, notification_id=notification_id, now=acknowledged_at)
    db.commit()

    notification = _send_back(db, user, notification_id, SENT_BACK_AT)

    assert notification.acknowledged_at is None, "the LA has not acknowledged it yet"
    step = _ladder(db, notification_id, notification.acknowledge_by + timedelta(minutes=1))
    assert step is not None and db.get(Notification, notification_id).la_queue == "escalated"
