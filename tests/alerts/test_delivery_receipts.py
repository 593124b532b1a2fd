"""GOV.UK Notify delivery receipts: Notify (mocked with respx) accepts the email, then calls back with the bodies its
documentation gives; police read-back, the outbox and the alerts follow what the receipt says."""

import hashlib
import json

import httpx
import pytest
import respx
from sqlmodel import select

from service.alerts import routes_api
from service.alerts.models import NotifyCallbackToken, OutboxMessage
from service.alerts.notify import NotifyClient
from service.alerts.receipts import issue_callback_token
from service.alerts.senders import NotifyEmailSender
from service.audit.models import AuditEvent
from service.db import utcnow
from service.notifications.models import Notification, NotificationEvent
from service.ratelimit import TokenBucket
from tests.alerts.fakes import NOTIFY_API_KEY, NOTIFY_TEMPLATE_IDS
from tests.builders import BRIMINGTON_JUNIOR

NOTIFY = "https://notify.test"
CALLBACK = "/api/notify/delivery-receipts"
NOTIFY_ID = "740e5834-3a29-46b4-9a6f-16142fde533a"


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    monkeypatch.setattr(routes_api, "receipt_limiter", TokenBucket(routes_api.RECEIPTS_PER_MINUTE, 60.0))
    monkeypatch.setattr(routes_api, "wrong_token_limiter", TokenBucket(routes_api.WRONG_TOKENS_PER_MINUTE, 60.0))


@pytest.fixture
def callback_token(db):
    token = issue_callback_token(db, now=utcnow())
    db.commit()
    return token


@pytest.fixture
def notify_worker(make_worker):
    http = httpx.Client()
    yield make_worker(email_sender=NotifyEmailSender(NotifyClient(NOTIFY_API_KEY, base_url=NOTIFY, http=http),
                                                     NOTIFY_TEMPLATE_IDS))
    http.close()


def notify_receipt(outbox_id: int, status: str, *, notify_id: str = NOTIFY_ID, to: str = "dsl@school.example") -> dict:
    """A delivery receipt as GOV.UK Notify's API documentation describes its callback body."""
    return {
        "id": notify_id,
        "reference": f"outbox-{outbox_id}",
        "to": to,
        "status": status,
        "created_at": "2026-12-01T12:15:30.000000Z",
        "completed_at": "2026-12-01T12:15:35.000000Z" if status == "delivered" else None,
        "sent_at": "2026-12-01T12:15:31.000000Z",
        "notification_type": "email",
        "template_id": NOTIFY_TEMPLATE_IDS["notification_waiting"],
        "template_version": 1,
    }


def _send_through_notify(db, notify_worker, *, ids=(NOTIFY_ID,)) -> list[OutboxMessage]:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(f"{NOTIFY}/v2/notifications/email").side_effect = [
            httpx.Response(201, json={"id": notify_id}) for notify_id in ids]
        notify_worker.run_once()
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.audience == "user").order_by(OutboxMessage.id)))


def _callback(client, token, body, **headers):
    return client.post(CALLBACK, content=json.dumps(body), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers})


def _read_back(client, police_key, notification_id):
    return client.get(f"/api/v1/notifications/{notification_id}", headers={"Authorization": f"Bearer {police_key}"}).json()


def test_the_token_is_kept_only_as_its_hash(db, callback_token):
    [row] = db.exec(select(NotifyCallbackToken)).all()
    assert row.token_sha256 == hashlib.sha256(callback_token.encode()).hexdigest()
    assert callback_token not in json.dumps(row.model_dump(mode="json"))


def test_police_see_sent_until_notify_says_delivered_and_a_repeat_changes_nothing(
        db, client, police_key, onboard, post_incident, notify_worker, callback_token):
    onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    [email] = _send_through_notify(db, notify_worker)
    assert email.provider_id == NOTIFY_ID
    before = _read_back(client, police_key, notification["id"])
    assert (before["status"], before["delivered_at"]) == ("sent", None) and before["sent_at"]

    assert _callback(client, callback_token, notify_receipt(email.id, "delivered")).status_code == 204
    after = _read_back(client, police_key, notification["id"])
    assert after["status"] == "delivered" and after["delivered_at"] is not None

    assert _callback(client, callback_token, notify_receipt(email.id, "delivered")).status_code == 204
    assert _callback(client, callback_token, notify_receipt(email.id, "permanent-failure")).status_code == 204
    db.expire_all()
    assert db.get(OutboxMessage, email.id).receipt_status == "delivered"  # Notify's outcomes are final: the first stands
    delivered = db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == notification["id"],
                                                        NotificationEvent.status == "delivered")).all()
    assert len(delivered) == 1
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "outbox.receipt")).all()) == 1


def test_a_key_adults_address_failing_for_good_tells_the_deputies_and_the_la_at_once(
        db, client, police_key, onboard, post_incident, notify_worker, la_officer, callback_token, make_worker):
    key_adult = onboard(BRIMINGTON_JUNIOR)
    deputy = onboard(BRIMINGTON_JUNIOR, role="deputy")
    officer = la_officer("830")
    [notification] = post_incident()
    emails = _send_through_notify(db, notify_worker, ids=(NOTIFY_ID, "11111111-2222-4333-8444-555555555555"))
    to_key_adult = next(m for m in emails if m.audience_ref == str(key_adult.id))

    response = _callback(client, callback_token, notify_receipt(to_key_adult.id, "permanent-failure",
                                                               notify_id=to_key_adult.provider_id))
    assert response.status_code == 204
    _callback(client, callback_token, notify_receipt(to_key_adult.id, "permanent-failure",
                                                    notify_id=to_key_adult.provider_id))
    db.expire_all()
    alerts = db.exec(select(OutboxMessage).where(OutboxMessage.template == "key_adult_not_reached")).all()
    assert sorted((a.audience, a.audience_ref) for a in alerts) == [("local_authority", "830"),
                                                                    ("setting_deputies", BRIMINGTON_JUNIOR)]
    # Told now, long before the deadline, and police still do not hear "delivered", but do hear the bounce.
    read_back = _read_back(client, police_key, notification["id"])
    assert read_back["status"] == "sent" and read_back["delivered_at"] is None
    assert read_back["key_adult_not_reached_at"] is not None
    worker = make_worker()
    worker.run_once()
    told = {(e.email_address, e.template) for e in worker.email_sender.sent}
    assert {(deputy.email, "key_adult_not_reached"), (officer.email, "key_adult_not_reached")} <= told
    assert all(e.link.endswith(notification["id"]) for e in worker.email_sender.sent)


@pytest.mark.parametrize("status", ["temporary-failure", "technical-failure"])
def test_other_failures_are_recorded_and_tell_nobody_else(db, client, police_key, onboard, post_incident, notify_worker,
                                                         callback_token, status):
    onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    [email] = _send_through_notify(db, notify_worker)
    assert _callback(client, callback_token, notify_receipt(email.id, status)).status_code == 204
    db.expire_all()
    assert db.get(OutboxMessage, email.id).receipt_status == status
    assert db.exec(select(OutboxMessage).where(OutboxMessage.template == "key_adult_not_reached")).all() == []
    read_back = _read_back(client, police_key, notification["id"])
    assert (read_back["status"], read_back["key_adult_not_reached_at"]) == ("sent", None)


def test_a_wrong_or_missing_token_is_refused_and_guessing_is_slowed(db, client, onboard, post_incident, notify_worker,
                                                                   callback_token, monkeypatch):
    onboard(BRIMINGTON_JUNIOR)
    post_incident()
    [email] = _send_through_notify(db, notify_worker)
    body = notify_receipt(email.id, "delivered")
    assert _callback(client, callback_token + "x", body).status_code == 401
    assert client.post(CALLBACK, json=body).status_code == 401
    monkeypatch.setattr(routes_api, "wrong_token_limiter", TokenBucket(2, 60.0))
    statuses = [_callback(client, "guess", body).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    db.expire_all()
    assert db.get(OutboxMessage, email.id).receipt_status is None


def test_a_bad_body_is_refused_and_an_unknown_one_ignored(db, client, onboard, post_incident, notify_worker,
                                                          callback_token):
    onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    [email] = _send_through_notify(db, notify_worker)
    bad = notify_receipt(email.id, "opened")
    response = _callback(client, callback_token, bad)
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/status"
    assert _callback(client, callback_token, {**notify_receipt(email.id, "delivered"), "to": "x" * 5000}).status_code == 413
    assert client.post(CALLBACK, content=b"{not json", headers={"Authorization": f"Bearer {callback_token}"}).status_code == 422
    # Not ours, or not the email Notify told us it accepted: answered (so Notify stops) and recorded nowhere.
    assert _callback(client, callback_token, notify_receipt(999_999, "delivered")).status_code == 204
    other_id = "99999999-9999-4999-8999-999999999999"
    assert _callback(client, callback_token, notify_receipt(email.id, "delivered", notify_id=other_id)).status_code == 204
    db.expire_all()
    assert db.get(OutboxMessage, email.id).receipt_status is None
    assert db.get(Notification, notification["id"]).delivered_at is None


def test_receipts_beyond_the_rate_limit_wait(db, client, onboard, post_incident, notify_worker, callback_token,
                                             monkeypatch):
    onboard(BRIMINGTON_JUNIOR)
    post_incident()
    [email] = _send_through_notify(db, notify_worker)
    monkeypatch.setattr(routes_api, "receipt_limiter", TokenBucket(1, 60.0))
    assert _callback(client, callback_token, notify_receipt(email.id, "delivered")).status_code == 204
    limited = _callback(client, callback_token, notify_receipt(email.id, "delivered"))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_a_receipt_for_an_email_never_sent_is_ignored_and_the_real_one_still_counts(
        db, client, police_key, onboard, post_incident, notify_worker, callback_token):
    """Found in review: a receipt naming an email the service had not sent yet (a reference from before a database
    restore reused the id, say) was taken as that email's outcome; the real receipt was then a repeat, ignored. Only
    an email Notify was asked to send can have a receipt."""
    from service.alerts.outbox import enqueue_alert

    key_adult = onboard(BRIMINGTON_JUNIOR)
    [notification] = post_incident()
    [sent] = _send_through_notify(db, notify_worker)
    waiting = enqueue_alert(db, template="notification_waiting", audience="user", audience_ref=str(key_adult.id),
                            link=f"https://encompass.test/notifications/{notification['id']}",
                            notification_id=notification["id"])
    db.commit()

    stale = notify_receipt(waiting.id, "delivered", notify_id="11111111-1111-4111-8111-111111111111")
    assert _callback(client, callback_token, stale).status_code == 204
    db.expire_all()
    assert db.get(OutboxMessage, waiting.id).receipt_status is None
    assert db.get(OutboxMessage, waiting.id).provider_id is None
    assert _read_back(client, police_key, notification["id"])["status"] == "sent"

    # Nor while a worker is sending it (tried, and Notify has not answered yet): the email is not Notify's yet.
    waiting.state, waiting.attempts = "sending", 1
    db.add(waiting)
    db.commit()
    assert _callback(client, callback_token, stale).status_code == 204
    db.expire_all()
    assert db.get(OutboxMessage, waiting.id).receipt_status is None

    # The email that was sent still gets its outcome.
    assert _callback(client, callback_token, notify_receipt(sent.id, "delivered")).status_code == 204
    assert _read_back(client, police_key, notification["id"])["status"] == "delivered"


def test_a_bounce_belongs_to_the_owner_it_was_for_once_the_la_re_routes_it(
        db, client, police_key, onboard, post_incident, notify_worker, la_officer, callback_token):
    """Police read the bounce under the owner whose Key Adult it was; the new owner starts with none."""
    from service.laworkspace import reroute as la_reroute
    from service.laworkspace.officer import Officer
    from tests.builders import ASHOVER_PRIMARY

    onboard(BRIMINGTON_JUNIOR)
    onboard(ASHOVER_PRIMARY)
    officer = la_officer("830")
    [notification] = post_incident()
    [email] = _send_through_notify(db, notify_worker)
    _callback(client, callback_token, notify_receipt(email.id, "permanent-failure"))
    la_reroute.reroute(db, Officer(id=officer.id, la_codes=frozenset({"830"})), notification["id"], target="setting",
                       urn=ASHOVER_PRIMARY, reason="Moved to Ashover in October.", now=utcnow())
    db.commit()

    read_back = _read_back(client, police_key, notification["id"])
    assert read_back["owner"]["urn"] == ASHOVER_PRIMARY and read_back["key_adult_not_reached_at"] is None
    [brimington] = read_back["earlier_owners"]
    assert brimington["owner"]["urn"] == BRIMINGTON_JUNIOR and brimington["key_adult_not_reached_at"] is not None
