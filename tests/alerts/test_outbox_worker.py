"""The outbox worker against the database: who is told, delivery status, leases, retries and dead letters."""

from datetime import timedelta

import pytest
from sqlmodel import select

from service.accounts.models import User
from service.alerts import service as alerts_service
from service.alerts.models import OutboxMessage
from service.alerts.notify import PermanentDeliveryError, TemporaryDeliveryError
from service.alerts.outbox import enqueue_alert
from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.notifications.models import Notification, NotificationEvent

BRIMINGTON_JUNIOR = "112517"
ADMIN = Actor(type="user", id="7", source="test")
DERBYSHIRE_TEAM = "education.safeguarding@derbyshire.example.gov.uk"


class FailingSender:
    """Fails with the given errors in turn, then accepts every email."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.sent = []

    def send(self, *, email_address, template, link, reference):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((email_address, template, reference))


def _messages(db, **where):
    db.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.exec(query).all()


def _notification(db, notification_id) -> Notification:
    db.expire_all()
    return db.get(Notification, notification_id)


def test_key_adult_and_deputy_are_each_emailed_once_and_police_see_it_sent_until_a_receipt_says_delivered(
    db, client, police_key, onboard, post_incident, make_worker
):
    key_adult = onboard(BRIMINGTON_JUNIOR)
    deputy = onboard(BRIMINGTON_JUNIOR, role="deputy")
    [notification] = post_incident()
    worker = make_worker()

    report = worker.run_once()
    worker.run_once()  # a second pass must not send anything again

    sent = worker.email_sender.sent
    assert sorted(e.email_address for e in sent) == sorted([key_adult.email, deputy.email])
    assert {e.template for e in sent} == {"notification_waiting"}
    assert {e.link for e in sent} == {f"https://encompass.test/notifications/{notification['id']}"}
    assert report.sent == 2
    stored = _notification(db, notification["id"])
    assert stored.status == "sent"
    assert stored.sent_at == worker.clock() and stored.delivered_at is None
    events = db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == stored.id,
                                                     NotificationEvent.status == "sent")).all()
    assert len(events) == 1
    status = client.get(f"/api/v1/notifications/{stored.id}", headers={"Authorization": f"Bearer {police_key}"}).json()
    assert status["status"] == "sent" and status["sent_at"] is not None and status["delivered_at"] is None


def test_email_reference_is_the_outbox_id_and_never_personal(db, onboard, post_incident, make_worker):
    onboard(BRIMINGTON_JUNIOR)
    post_incident()
    worker = make_worker()
    worker.run_once()
    [email] = worker.email_sender.sent
    [message] = _messages(db, audience="user")
    assert email.reference == f"outbox-{message.id}"


def test_recipients_are_resolved_when_sending_not_when_the_notification_arrived(db, onboard, post_incident, make_worker):
    leaver = onboard(BRIMINGTON_JUNIOR)
    post_incident()
    newcomer = onboard(BRIMINGTON_JUNIOR, role="deputy")
    leaver.is_active = False
    db.add(leaver)
    worker = make_worker()
    worker.run_once()
    assert [e.email_address for e in worker.email_sender.sent] == [newcomer.email]


def test_la_owned_notification_reaches_the_team_mailbox_and_active_officers_only(
    db, forces, la_officer, post_incident, make_worker, child
):
    officer = la_officer("830")
    la_officer("830", active=False)
    la_officer("831")  # another LA's officer sees nothing of Derbyshire's children
    [notification] = post_incident(child(education_status="missing_education", setting_urn=None))
    worker = make_worker()
    worker.run_once()
    assert sorted(e.email_address for e in worker.email_sender.sent) == sorted([DERBYSHIRE_TEAM, officer.email])
    assert {e.link for e in worker.email_sender.sent} == {f"https://encompass.test/la/notifications/{notification['id']}"}
    assert _notification(db, notification["id"]).status == "sent"


def test_setting_with_nobody_to_tell_is_a_visible_dead_letter_an_admin_can_retry(db, onboard, post_incident, make_worker):
    key_adult = onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    key_adult.is_active = False  # left before the alert went out
    db.add(key_adult)
    worker = make_worker()
    worker.run_once()

    assert worker.email_sender.sent == []
    [dead] = alerts_service.list_dead_letters(db)
    assert (dead.audience, dead.audience_ref, dead.last_error) == ("setting", BRIMINGTON_JUNIOR, "no recipients")
    # Nobody was told, so it is not "delivered": police still see "received".
    assert _notification(db, notification["id"]).status == "received"

    replacement = onboard(BRIMINGTON_JUNIOR)
    alerts_service.retry_dead_letter(db, dead.id, ADMIN, now=worker.clock())
    db.commit()
    worker.run_once()
    assert [e.email_address for e in worker.email_sender.sent] == [replacement.email]
    assert alerts_service.list_dead_letters(db) == []
    assert _notification(db, notification["id"]).status == "sent"
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).one()
    assert (audit.actor_id, audit.object_id, audit.detail["previous_error"]) == ("7", str(dead.id), "no recipients")


def test_only_dead_letters_can_be_retried(db, make_worker):
    message = enqueue_alert(db, template="invitation", audience="user", audience_ref="1", link="https://encompass.test/x")
    db.flush()
    with pytest.raises(ValueError, match="pending, not dead"):
        alerts_service.retry_dead_letter(db, message.id, ADMIN)
    with pytest.raises(ValueError, match="no outbox message"):
        alerts_service.retry_dead_letter(db, 999_999, ADMIN)


def test_delivery_never_moves_a_viewed_notification_back(db, onboard, post_incident, make_worker):
    onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    stored = _notification(db, notification["id"])
    stored.status, stored.first_viewed_at = "viewed", make_worker().clock()
    db.add(stored)
    worker = make_worker()
    worker.run_once()
    stored = _notification(db, notification["id"])
    assert stored.status == "viewed"
    assert stored.sent_at is not None


def _one_user_alert(db, onboard, template="deadline_missed_deputies") -> OutboxMessage:
    user = onboard(BRIMINGTON_JUNIOR)
    message = enqueue_alert(db, template=template, audience="user", audience_ref=str(user.id),
                            link="https://encompass.test/notifications/n-1")
    db.commit()
    return message


def test_a_claim_is_exclusive_until_its_lease_runs_out_then_another_worker_takes_over(db, onboard, clock):
    message = _one_user_alert(db, onboard)
    now = clock()
    [mine] = alerts_service.claim_due(db, worker_id="crashes", now=now, lease=timedelta(minutes=5))
    db.commit()
    assert alerts_service.claim_due(db, worker_id="other", now=now + timedelta(minutes=4)) == []
    db.commit()

    [taken] = alerts_service.claim_due(db, worker_id="other", now=now + timedelta(minutes=6))
    db.commit()
    assert taken.id == mine.id == message.id
    assert taken.attempts == 2
    # The crashed worker wakes up: its claim is gone, so it cannot mark the alert sent.
    assert alerts_service.mark_sent(db, mine, worker_id="crashes", now=now + timedelta(minutes=7)) is False
    assert alerts_service.mark_sent(db, taken, worker_id="other", now=now + timedelta(minutes=7)) is True
    db.commit()
    assert _messages(db)[0].state == "sent"


def test_temporary_failure_waits_with_backoff_and_honours_retry_after(db, onboard, make_worker, clock):
    message = _one_user_alert(db, onboard)
    sender = FailingSender(TemporaryDeliveryError("Notify answered HTTP 429", status_code=429, retry_after=600))
    worker = make_worker(email_sender=sender)
    started = clock()

    assert worker.run_once().retrying == 1
    [waiting] = _messages(db)
    assert waiting.state == "pending" and waiting.attempts == 1
    assert waiting.next_attempt_at == started + timedelta(seconds=600)
    assert "429" in waiting.last_error

    clock.advance(seconds=599)
    assert worker.run_once().sent == 0
    clock.advance(seconds=2)
    assert worker.run_once().sent == 1
    assert len(sender.sent) == 1 and sender.sent[0][2] == f"outbox-{message.id}"


def test_permanent_failure_is_dead_at_once(db, onboard, make_worker):
    _one_user_alert(db, onboard)
    worker = make_worker(email_sender=FailingSender(PermanentDeliveryError("GOV.UK Notify answered HTTP 400: BadRequestError")))
    assert worker.run_once().dead == 1
    [dead] = alerts_service.list_dead_letters(db)
    assert dead.attempts == 1 and "400" in dead.last_error


def test_after_the_last_attempt_a_failing_alert_is_dead(db, onboard, make_worker, clock):
    _one_user_alert(db, onboard)
    failures = [TemporaryDeliveryError("GOV.UK Notify answered HTTP 503", status_code=503) for _ in range(5)]
    worker = make_worker(email_sender=FailingSender(*failures), max_attempts=3)
    for _ in range(3):
        worker.run_once()
        clock.advance(hours=2)
    [dead] = alerts_service.list_dead_letters(db)
    assert dead.attempts == 3
    assert dead.last_error.startswith("gave up after 3 attempts")
    assert worker.run_once().sent == 0


def test_an_unexpected_sender_error_is_retried_not_stuck_in_sending(db, onboard, make_worker):
    _one_user_alert(db, onboard)
    worker = make_worker(email_sender=FailingSender(RuntimeError("socket said something about alice@example.org")))
    worker.run_once()
    [message] = _messages(db)
    assert message.state == "pending"
    assert message.last_error == "unexpected RuntimeError"


def test_alert_for_a_deactivated_user_is_dead_with_a_reason(db, onboard, make_worker):
    message = _one_user_alert(db, onboard)
    user = db.get(User, int(message.audience_ref))
    user.is_active = False
    db.add(user)
    worker = make_worker()
    worker.run_once()
    assert worker.email_sender.sent == []
    db.expire_all()
    assert [m.last_error for m in alerts_service.list_dead_letters(db)] == ["recipient account is not active"]
