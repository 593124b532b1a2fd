"""Police withdrawing a notification sent in error: the API, what owners then see, their alerts and retention."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.alerts.webhooks import WebhookSender
from service.alerts.worker import OutboxWorker
from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.db import utcnow
from service.notifications.models import Notification, NotificationEvent
from service.retention.service import WITHDRAWN_RETENTION_DAYS, purge_past_retention
from tests.alerts.fakes import InboxSender
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, child_entry

REASON = {"reason": "wrong_child", "note": "Officer keyed the wrong child record."}


def _police(key):
    return {"Authorization": f"Bearer {key}"}


def _run_worker(db, *, at=None):
    db.commit()
    sender, hooks = InboxSender(keep_last=1000), WebhookSender()
    try:
        OutboxWorker(worker_id="w", email_sender=sender, webhook_sender=hooks, max_attempts=3,
                     clock=lambda: at or utcnow() + timedelta(minutes=1), rng=lambda: 0.5).run_once()
    finally:
        hooks.close()
    db.expire_all()
    return sender.sent


@pytest.fixture
def incident(client, police_key, onboard, db):
    onboard(BRIMINGTON_JUNIOR)
    onboard(ASHOVER_PRIMARY)
    from tests.builders import incident_body

    body = incident_body(child_entry("C1", given_name="Ellie"), child_entry("C2", urn=ASHOVER_PRIMARY, given_name="Noah"))
    response = client.post("/api/v1/incidents", json=body, headers=_police(police_key))
    assert response.status_code == 201
    return response.json()


def test_police_withdraw_an_incident_once_however_often_they_ask(client, db, police_key, incident):
    url = f"/api/v1/incidents/{incident['incident_id']}/withdrawal"
    first = client.post(url, json=REASON, headers=_police(police_key))
    assert first.status_code == 200
    assert {n["status"] for n in first.json()["notifications"]} == {"withdrawn"}
    again = client.post(url, json=REASON, headers=_police(police_key))
    assert again.status_code == 200 and again.json() == first.json()

    for n in incident["notifications"]:
        seen = client.get(f"/api/v1/notifications/{n['id']}", headers=_police(police_key)).json()
        assert seen["status"] == "withdrawn" and seen["withdrawal_reason"] == "wrong_child" and seen["withdrawn_at"]
        events = db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == n["id"],
                                                         NotificationEvent.status == "withdrawn")).all()
        assert len(events) == 1
    audits = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.withdrawn")).all()
    assert len(audits) == 2 and all("Officer keyed" not in str(a.detail) for a in audits)


def test_one_notification_can_be_withdrawn_alone(client, police_key, incident):
    first, second = incident["notifications"]
    response = client.post(f"/api/v1/notifications/{first['id']}/withdrawal", json={"reason": "wrong_household"},
                           headers=_police(police_key))
    assert response.status_code == 200
    assert [n["id"] for n in response.json()["notifications"]] == [first["id"]]
    assert client.get(f"/api/v1/notifications/{second['id']}", headers=_police(police_key)).json()["status"] == "received"


def test_another_forces_incident_or_notification_is_not_found(client, police_key, other_force_key, incident):
    notification_id = incident["notifications"][0]["id"]
    assert client.post(f"/api/v1/incidents/{incident['incident_id']}/withdrawal", json=REASON,
                       headers=_police(other_force_key)).status_code == 404
    assert client.post(f"/api/v1/notifications/{notification_id}/withdrawal", json=REASON,
                       headers=_police(other_force_key)).status_code == 404
    assert client.get(f"/api/v1/notifications/{notification_id}", headers=_police(police_key)).json()["status"] == "received"


def test_a_withdrawal_needs_a_reason_from_the_list(client, police_key, incident):
    url = f"/api/v1/incidents/{incident['incident_id']}/withdrawal"
    response = client.post(url, json={"reason": "because"}, headers=_police(police_key))
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/reason"
    assert client.post(url, json={}, headers=_police(police_key)).status_code == 422


def test_the_key_adult_then_sees_only_withdrawn_by_police(client, db, police_key, incident, make_user, sign_in,
                                                          check_page):
    notification_id = incident["notifications"][0]["id"]
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    sign_in(client, key_adult)
    assert client.get(f"/notifications/{notification_id}").status_code == 200
    client.post(f"/api/v1/incidents/{incident['incident_id']}/withdrawal", json=REASON, headers=_police(police_key))

    page = client.get(f"/notifications/{notification_id}")
    assert page.status_code == 404
    soup = check_page(page)
    assert soup.find("h1").get_text(strip=True) == "Withdrawn by police"
    assert "Ellie" not in page.text and "Brookes" not in page.text and "Argument" not in page.text
    inbox = client.get("/notifications")
    assert notification_id not in inbox.text and "Ellie" not in inbox.text
    refused = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.access_refused")).all()
    assert [r.detail["why"] for r in refused] == ["withdrawn"]


def test_unsent_alerts_are_cancelled_and_an_owner_already_told_hears_only_that_it_was_withdrawn(
        client, db, police_key, incident, onboard):
    told = _run_worker(db)
    assert {e.template for e in told} == {"notification_waiting"}
    first, second = incident["notifications"]
    client.post(f"/api/v1/notifications/{first['id']}/withdrawal", json=REASON, headers=_police(police_key))
    db.expire_all()
    withdrawn_alerts = db.exec(select(OutboxMessage).where(OutboxMessage.template == "notification_withdrawn")).all()
    assert [(a.audience, a.audience_ref) for a in withdrawn_alerts] == [("setting", BRIMINGTON_JUNIOR)]
    emails = _run_worker(db)
    assert {(e.template, e.link.rsplit("/", 1)[-1]) for e in emails} == {("notification_withdrawn", first["id"])}


def test_a_notification_withdrawn_before_anyone_was_told_tells_nobody(client, db, police_key, incident):
    client.post(f"/api/v1/incidents/{incident['incident_id']}/withdrawal", json=REASON, headers=_police(police_key))
    db.expire_all()
    states = {(m.template, m.state) for m in db.exec(select(OutboxMessage))}
    assert states == {("notification_waiting", "cancelled")}
    assert _run_worker(db) == []


def test_withdrawn_child_data_goes_after_a_week_not_after_normal_retention(client, db, police_key, incident):
    client.post(f"/api/v1/incidents/{incident['incident_id']}/withdrawal", json=REASON, headers=_police(police_key))
    db.expire_all()
    first_id = incident["notifications"][0]["id"]
    withdrawn_at = db.get(Notification, first_id).withdrawn_at
    early = purge_past_retention(db, retention_days=365, actor=Actor(type="system", id="t"),
                                 now=withdrawn_at + timedelta(days=WITHDRAWN_RETENTION_DAYS - 1))
    assert early.notification_ids == ()
    on_time = purge_past_retention(db, retention_days=365, actor=Actor(type="system", id="t"),
                                   now=withdrawn_at + timedelta(days=WITHDRAWN_RETENTION_DAYS, minutes=1))
    assert set(on_time.notification_ids) == {n["id"] for n in incident["notifications"]}
    db.commit()
    db.expire_all()
    purged = db.get(Notification, first_id)
    assert (purged.given_name, purged.withdrawal_note, purged.status) == (None, None, "withdrawn")
    seen = client.get(f"/api/v1/notifications/{first_id}", headers=_police(police_key)).json()
    assert seen["status"] == "withdrawn" and seen["withdrawal_reason"] == "wrong_child"


def test_the_la_no_longer_lists_a_withdrawn_notification(client, db, police_key, post_incident, make_user, sign_in):
    [notification] = post_incident(child_entry("C1", urn=None, education_status="elective_home_education",
                                               given_name="Maisie"))
    officer = make_user("la_officer", la_codes=["830"])
    sign_in(client, officer)
    assert "Maisie" in client.get("/la/queues/not_in_school").text
    client.post(f"/api/v1/notifications/{notification['id']}/withdrawal", json=REASON, headers=_police(police_key))
    assert "Maisie" not in client.get("/la/queues/not_in_school").text
    page = client.get(f"/la/notifications/{notification['id']}")
    assert page.status_code == 404
    assert BeautifulSoup(page.text, "html.parser").find("h1").get_text(strip=True) == "Withdrawn by police"


@pytest.mark.parametrize("note", ["contains \x00 a NUL", "x" * 501])
def test_a_withdrawal_note_is_checked_like_any_text(client, police_key, incident, note):
    response = client.post(f"/api/v1/incidents/{incident['incident_id']}/withdrawal",
                           json={"reason": "other", "note": note}, headers=_police(police_key))
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/note"


def test_withdrawing_by_the_first_receipts_id_after_a_correction_withdraws_the_version_the_school_holds(
        client, db, police_key, incident):
    """Found in review: the id from police's first receipt named the superseded version, so the correction stayed live."""
    from service.notifications.models import Incident
    from tests.builders import incident_body

    corrected = incident_body(child_entry("C1", given_name="Ellie"), child_entry("C2", urn=ASHOVER_PRIMARY, given_name="Noah"),
                              summary="Corrected: a neighbour called police.", reference=db.get(Incident, incident["incident_id"]).police_reference)
    second = client.post("/api/v1/incidents", json=corrected, headers=_police(police_key))
    assert second.status_code in (200, 201) and second.json()["incident_id"] != incident["incident_id"]
    first_id = incident["notifications"][0]["id"]
    live_id = next(n["id"] for n in second.json()["notifications"] if n["child_reference"] == "C1")

    answer = client.post(f"/api/v1/notifications/{first_id}/withdrawal", json=REASON, headers=_police(police_key))
    assert answer.status_code == 200
    assert [n["id"] for n in answer.json()["notifications"]] == [live_id]
    db.expire_all()
    assert db.get(Notification, live_id).withdrawn_at is not None, "the version the school holds is withdrawn"
    others = [n for n in second.json()["notifications"] if n["child_reference"] == "C2"]
    assert db.get(Notification, others[0]["id"]).withdrawn_at is None, "the other child is untouched"


def test_after_a_withdrawal_the_same_incident_again_stays_withdrawn_and_a_correction_sends_it_again(
        client, db, police_key, incident):
    """A police system may send an incident again unchanged (a retry, the next routine extract): after a withdrawal
    that must not put a wrong child's details back in front of a school. A withdrawal made by mistake is undone by
    sending the incident as a correction, which the schools are told of as a new version."""
    from service.notifications.models import Incident
    from tests.builders import incident_body

    reference = db.get(Incident, incident["incident_id"]).police_reference
    children = (child_entry("C1", given_name="Ellie"), child_entry("C2", urn=ASHOVER_PRIMARY, given_name="Noah"))
    url = f"/api/v1/incidents/{incident['incident_id']}/withdrawal"
    assert client.post(url, json=REASON, headers=_police(police_key)).status_code == 200
    db.expire_all()
    alerts_before = len(db.exec(select(OutboxMessage).where(OutboxMessage.template == "notification_waiting")).all())

    again = client.post("/api/v1/incidents", json=incident_body(*children, reference=reference), headers=_police(police_key))
    assert again.status_code == 200 and again.json()["incident_id"] == incident["incident_id"]
    assert {n["status"] for n in again.json()["notifications"]} == {"withdrawn"}
    db.expire_all()
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.template == "notification_waiting")).all()) == alerts_before

    corrected = client.post("/api/v1/incidents", headers=_police(police_key), json=incident_body(
        *children, reference=reference, summary="Sent again: the withdrawal was a mistake."))
    assert corrected.status_code == 201 and corrected.json()["incident_id"] != incident["incident_id"]
    assert {n["status"] for n in corrected.json()["notifications"]} == {"received"}
    db.expire_all()
    waiting = set(db.exec(select(OutboxMessage.notification_id).where(OutboxMessage.template == "notification_waiting")))
    assert {n["id"] for n in corrected.json()["notifications"]} <= waiting
