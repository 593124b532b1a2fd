"""Alerts as they leave the service: GOV.UK Notify through the worker, signed setting webhooks, and no child data anywhere."""

import json
import logging
from datetime import timedelta

import httpx
import jwt
import pytest
import respx
from sqlmodel import select

from service.alerts import service as alerts_service
from service.alerts import setting_webhooks
from service.alerts.models import OutboxMessage
from service.alerts.notify import NotifyClient
from service.alerts.senders import TEMPLATE_SUBJECTS, NotifyEmailSender
from service.alerts.webhooks import verify
from service.audit.service import Actor
from service.notifications.models import Notification

BRIMINGTON_JUNIOR = "112517"
SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"encompass-test-{SERVICE_ID}-{SECRET}"
NOTIFY = "https://notify.test"
TEMPLATE_IDS = {name: f"00000000-0000-4000-8000-00000000000{i}" for i, name in enumerate(TEMPLATE_SUBJECTS)}
HOOK_URL = "https://hooks.brimington.example/encompass?token=abc"
OPERATOR = Actor(type="operator", id="ops", source="test")


@pytest.fixture
def notify_worker(make_worker):
    http = httpx.Client()
    sender = NotifyEmailSender(NotifyClient(API_KEY, base_url=NOTIFY, http=http), TEMPLATE_IDS)
    yield make_worker(email_sender=sender)
    http.close()


def _state(db):
    db.expire_all()
    return [(m.audience, m.state, m.attempts) for m in db.exec(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_worker_sends_through_notify_with_a_link_only_and_the_outbox_id_as_reference(db, onboard, post_incident, notify_worker):
    user = onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(f"{NOTIFY}/v2/notifications/email").respond(201, json={"id": "notify-1"})
        assert notify_worker.run_once().sent == 1

    request = route.calls.last.request
    body = json.loads(request.content)
    [child_alert] = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "user")).all()
    assert body == {
        "email_address": user.email,
        "template_id": TEMPLATE_IDS["notification_waiting"],
        "personalisation": {"link": f"https://encompass.test/notifications/{notification['id']}"},
        "reference": f"outbox-{child_alert.id}",
    }
    token = request.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
    assert claims["iss"] == SERVICE_ID and isinstance(claims["iat"], int)
    db.expire_all()
    # Notify accepted it: "sent" until its delivery receipt says it arrived (tests/alerts/test_delivery_receipts.py).
    assert db.get(Notification, notification["id"]).status == "sent"
    assert db.get(OutboxMessage, child_alert.id).provider_id == "notify-1"


@pytest.mark.parametrize("status", [400, 403])
def test_notify_refusing_the_request_is_a_dead_letter_at_once(db, onboard, post_incident, notify_worker, status):
    onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    with respx.mock as mock:
        route = mock.post(f"{NOTIFY}/v2/notifications/email").respond(
            status, json={"errors": [{"error": "BadRequestError", "message": "Can't send to this recipient"}]})
        notify_worker.run_once()
        notify_worker.clock.advance(hours=3)
        notify_worker.run_once()
    # Only this alert's calls: three hours on, the deadline may have passed and a deputies' alert gone out too
    # (and been refused the same way), depending on the time of day the test runs.
    waiting = [call for call in route.calls
               if json.loads(call.request.content)["template_id"] == TEMPLATE_IDS["notification_waiting"]]
    assert len(waiting) == 1
    assert ("user", "dead", 1) in _state(db)
    [dead] = [d for d in alerts_service.list_dead_letters(db) if d.template == "notification_waiting"]
    assert str(status) in dead.last_error
    assert db.get(Notification, notification["id"]).status == "received"


@pytest.mark.parametrize(("status", "headers"), [(429, {"Retry-After": "120"}), (500, {}), (503, {})])
def test_notify_busy_or_failing_is_retried_later_then_delivered(db, onboard, post_incident, notify_worker, status, headers):
    onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    with respx.mock as mock:
        route = mock.post(f"{NOTIFY}/v2/notifications/email")
        route.side_effect = [httpx.Response(status, headers=headers, json={"errors": []}),
                             httpx.Response(201, json={"id": "notify-2"})]
        notify_worker.run_once()
        assert ("user", "pending", 1) in _state(db)
        notify_worker.run_once()  # not due yet: nothing is sent again at once
        assert route.call_count == 1
        notify_worker.clock.advance(minutes=10)
        notify_worker.run_once()
    assert route.call_count == 2
    assert ("user", "sent", 2) in _state(db)
    db.expire_all()
    assert db.get(Notification, notification["id"]).status == "sent"


@pytest.fixture
def webhook_secret(db, onboard):
    onboard(BRIMINGTON_JUNIOR)
    secret = setting_webhooks.set_webhook(db, urn=BRIMINGTON_JUNIOR, url=HOOK_URL, actor=OPERATOR)
    db.commit()
    return secret


def test_setting_webhook_carries_only_type_id_and_link_and_verifies_with_our_function(
    db, webhook_secret, post_incident, make_worker
):
    [notification] = post_incident()
    worker = make_worker()
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).respond(204)
        worker.run_once()

    request = route.calls.last.request
    assert json.loads(request.content) == {
        "type": "notification.waiting", "notification_id": notification["id"],
        "link": f"https://encompass.test/notifications/{notification['id']}",
    }
    now = int(worker.clock().timestamp())
    assert verify(payload=request.content, headers=dict(request.headers), secret=webhook_secret, now=now)
    [hook_alert] = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "webhook")).all()
    assert request.headers["webhook-id"] == f"msg_{hook_alert.id}"


def test_webhook_id_stays_the_same_across_retries_so_receivers_can_ignore_repeats(db, webhook_secret, post_incident, make_worker):
    post_incident()
    worker = make_worker()
    with respx.mock as mock:
        route = mock.post(HOOK_URL)
        route.side_effect = [httpx.Response(503), httpx.Response(200)]
        worker.run_once()
        worker.clock.advance(minutes=5)
        worker.run_once()
    first, second = (call.request for call in route.calls)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]


def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new_one(db, webhook_secret, post_incident, make_worker):
    worker = make_worker()
    new_secret = setting_webhooks.rotate_webhook_secret(db, urn=BRIMINGTON_JUNIOR, actor=OPERATOR, now=worker.clock(),
                                                      overlap=timedelta(hours=24))
    db.commit()
    post_incident(reference="DC-ROTATE-1")
    with respx.mock as mock:
        route = mock.post(HOOK_URL).respond(200)
        worker.run_once()
        during = route.calls.last.request
        worker.clock.advance(hours=25)
        post_incident(reference="DC-ROTATE-2")
        worker.run_once()
        after = route.calls.last.request

    assert during.headers["webhook-signature"].count("v1,") == 2
    for secret in (webhook_secret, new_secret):
        assert verify(payload=during.content, headers=dict(during.headers), secret=secret,
                      now=int(during.headers["webhook-timestamp"]))
    assert after.headers["webhook-signature"].count("v1,") == 1
    after_now = int(after.headers["webhook-timestamp"])
    assert verify(payload=after.content, headers=dict(after.headers), secret=new_secret, now=after_now)
    assert not verify(payload=after.content, headers=dict(after.headers), secret=webhook_secret, now=after_now)


def test_webhook_urls_must_be_https_and_for_a_known_setting(db):
    with pytest.raises(ValueError, match="https"):
        setting_webhooks.set_webhook(db, urn=BRIMINGTON_JUNIOR, url="http://hooks.example/x", actor=OPERATOR)
    with pytest.raises(ValueError, match="no setting"):
        setting_webhooks.set_webhook(db, urn="999999999", url="https://hooks.example/x", actor=OPERATOR)
    with pytest.raises(ValueError, match="no webhook"):
        setting_webhooks.rotate_webhook_secret(db, urn=BRIMINGTON_JUNIOR, actor=OPERATOR)


def test_disabled_webhook_gets_no_new_alerts(db, webhook_secret, post_incident, make_worker):
    setting_webhooks.disable_webhook(db, urn=BRIMINGTON_JUNIOR, actor=OPERATOR)
    db.commit()
    post_incident()
    assert db.exec(select(OutboxMessage).where(OutboxMessage.audience == "webhook")).all() == []


def test_no_child_data_in_any_email_webhook_or_log_line(
    db, forces, webhook_secret, la_officer, post_incident, make_worker, child, caplog
):
    la_officer("830")
    names = ("Zephyrine", "Quillfeather", "Bartholomew", "Xanthippe-Oakenshaw")
    summary = "Distinctive incident summary mentioning Thistlewood Lane"
    post_incident(
        child("C1", given_name=names[0], family_name=names[1], child_voice="Zephyrine said she was frightened"),
        child("C2", given_name=names[2], family_name=names[3], education_status="missing_education", setting_urn=None,
              home_postcode="DE1 1AA"),
        summary=summary,
    )
    worker = make_worker()
    with caplog.at_level(logging.DEBUG), respx.mock as mock:
        hook = mock.post(HOOK_URL).respond(200)
        report = worker.run_once()

    assert report.sent >= 3  # the Key Adult, the LA team mailbox and officer, and the webhook
    outgoing = [repr(email) for email in worker.email_sender.sent]
    outgoing += [call.request.content.decode() + repr(dict(call.request.headers)) for call in hook.calls]
    outgoing += [record.getMessage() for record in caplog.records]
    outgoing += [repr(m.model_dump()) for m in db.exec(select(OutboxMessage))]
    forbidden = [*names, "Thistlewood", "frightened", "DE1 1AA", child()["date_of_birth"]]
    for text in outgoing:
        for word in forbidden:
            assert word.lower() not in text.lower(), f"{word!r} left the service in: {text[:120]}"


def test_each_setting_with_a_webhook_gets_its_alert_whether_police_gave_its_urn_or_its_name(
        db, webhook_secret, onboard, post_incident):
    """Intake learns which settings have webhooks with its first routing question, for the URNs police gave; a
    setting reached any other way (here by its name) must still be looked up, and get its alert."""
    from tests.builders import child_entry

    manor_infant, henry_bradley_infant = "112518", "112519"
    onboard(manor_infant)
    setting_webhooks.set_webhook(db, urn=manor_infant, url="https://hooks.manor.example/encompass", actor=OPERATOR)
    onboard(henry_bradley_infant)  # a Key Adult, no webhook
    db.commit()
    notifications = post_incident(
        child_entry("C1"),  # Brimington Junior, by URN: has a webhook
        child_entry("C2", urn=None, setting_name="Brimington Manor Infant School", age=6),
        child_entry("C3", urn=henry_bradley_infant, age=6),
    )
    assert [(n["child_reference"], n["routing"]["urn"], n["routing"]["method"]) for n in notifications] == [
        ("C1", BRIMINGTON_JUNIOR, "urn"), ("C2", manor_infant, "name"), ("C3", henry_bradley_infant, "urn")]
    webhooks = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "webhook")).all()
    assert sorted(m.notification_id for m in webhooks) == sorted(n["id"] for n in notifications[:2])
