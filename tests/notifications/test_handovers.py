"""Hand-overs between owners: each new owner starts clean, police see the truth, and nobody keeps what is not theirs.

One test per defect found when the lifecycle was written by hand in five packages; each failed before
service/notifications/lifecycle.py owned every transition.
"""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from service.accounts import service as accounts_service
from service.accounts import administration
from service.alerts import receipts
from service.alerts import service as alerts_service
from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.db import utcnow
from service.keyadult import inbox as keyadult_inbox
from service.keyadult import service as keyadult_service
from service.keyadult.service import StaffMember
from service.laworkspace import item as la_item
from service.laworkspace import queues as la_queues
from service.laworkspace import reroute as la_reroute
from service.laworkspace.item import OutcomeForm
from service.laworkspace.officer import Officer
from service.notifications.models import Notification
from service.problems import FormInvalid
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, child_entry

CHILD = {"given_name": "Zanthe", "family_name": "Quillfeather"}


def _staff(user, urn: str) -> StaffMember:
    return StaffMember(user_id=user.id, urns=frozenset({urn}))


def _read_back(client, key: str, notification_id: str) -> dict:
    response = client.get(f"/api/v1/notifications/{notification_id}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()


class _Inboxes:
    """An email sender that delivers to a list, as Notify would accept each email."""

    def __init__(self):
        self.sent = []

    def send(self, *, email_address: str, template: str, link: str, reference: str) -> None:
        self.sent.append((email_address, template))


def _deliver(db, notification_id: str, at) -> None:
    """The alert worker sends whatever is due at `at`, as it would in production."""
    from service.alerts.webhooks import WebhookSender
    from service.alerts.worker import OutboxWorker

    db.commit()
    webhooks = WebhookSender()
    try:
        OutboxWorker(worker_id="test-worker", email_sender=_Inboxes(), webhook_sender=webhooks, max_attempts=3,
                     escalate_after=timedelta(hours=2), clock=lambda: at, rng=lambda: 0.5).run_once()
    finally:
        webhooks.close()
    db.expire_all()


def test_send_back_gives_the_la_its_own_delivery_and_first_view_and_police_see_both_owners(
        db, client, police_key, post_incident, make_user):
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    officer_user = make_user("la_officer", la_codes=["830"])
    [sent] = post_incident(child_entry("C1", **CHILD))
    now = utcnow()
    _deliver(db, sent["id"], now)
    keyadult_service.open_notification(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=sent["id"],
                                       now=now + timedelta(minutes=5))
    keyadult_service.record_action(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=sent["id"],
                                   action="not_on_roll", note="Left us in October.", now=now + timedelta(minutes=10))
    db.commit()

    after_send_back = _read_back(client, police_key, sent["id"])
    # The LA has not been told yet, nor opened it: the school's times are not the LA's.
    assert (after_send_back["delivered_at"], after_send_back["first_viewed_at"]) == (None, None)
    assert after_send_back["owner"] == {"kind": "local_authority", "urn": None, "la_code": "830"}
    [school] = after_send_back["earlier_owners"]
    assert school["owner"]["urn"] == BRIMINGTON_JUNIOR and school["handed_over_because"] == "sent_back"
    assert school["sent_at"] is not None and school["first_viewed_at"] is not None

    # The LA's own alert and first view are now recorded, where before the school's times blocked them.
    _deliver(db, sent["id"], now + timedelta(minutes=11))
    la_item.view_item(db, Officer(id=officer_user.id, la_codes=frozenset({"830"})), sent["id"], now=now + timedelta(minutes=20))
    db.commit()
    later = _read_back(client, police_key, sent["id"])
    assert later["sent_at"].startswith((now + timedelta(minutes=11)).isoformat()[:16])
    assert later["first_viewed_at"].startswith((now + timedelta(minutes=20)).isoformat()[:16])
    assert later["status"] == "viewed"
    assert later["first_viewed_at"] > later["earlier_owners"][0]["until"]


def test_the_new_school_sees_none_of_the_first_schools_or_the_las_notes(
        db, client, post_incident, make_user, onboard, sign_in):
    first = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR], display_name="Priya Firstschool")
    officer_user = make_user("la_officer", la_codes=["830"], display_name="Olu Officer")
    officer = Officer(id=officer_user.id, la_codes=frozenset({"830"}))
    [sent] = post_incident(child_entry("C1", **CHILD))
    now = utcnow()
    staff = _staff(first, BRIMINGTON_JUNIOR)
    keyadult_service.acknowledge(db, staff=staff, notification_id=sent["id"], now=now)
    keyadult_service.record_action(db, staff=staff, notification_id=sent["id"], action="support_in_school",
                                   note="FIRST-SCHOOL-NOTE: spoke to class teacher", now=now)
    keyadult_service.record_action(db, staff=staff, notification_id=sent["id"], action="not_on_roll",
                                   note="SEND-BACK-NOTE: left in October", now=now)
    la_item.record_outcome(db, officer, sent["id"], OutcomeForm(outcome="other", note="LA-OUTCOME-NOTE: rang admissions",
                                                                  close=False), now=now)
    onboard(ASHOVER_PRIMARY)
    new_key_adult = make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    la_reroute.reroute(db, officer, sent["id"], target="setting", urn=ASHOVER_PRIMARY,
                      reason="REROUTE-REASON: admissions say Ashover since October", now=now)
    db.commit()

    sign_in(client, new_key_adult)
    for path in (f"/notifications/{sent['id']}", f"/notifications/{sent['id']}/print"):
        page = client.get(path)
        assert page.status_code == 200
        text = BeautifulSoup(page.text, "html.parser").get_text(" ")
        for private in ("FIRST-SCHOOL-NOTE", "SEND-BACK-NOTE", "LA-OUTCOME-NOTE", "Priya Firstschool"):
            assert private not in text, f"{private} shown on {path}"
        assert "REROUTE-REASON" in text, "the hand-over reason addressed to the new school is shown"

    # The LA still sees everything recorded in its area.
    item = la_item.view_item(db, officer, sent["id"], now=now)
    notes = " ".join(entry.note or "" for entry in item.outcomes)
    for note in ("FIRST-SCHOOL-NOTE", "SEND-BACK-NOTE", "LA-OUTCOME-NOTE", "REROUTE-REASON"):
        assert note in notes


def test_a_school_a_correction_no_longer_goes_to_cannot_open_the_old_version(
        db, client, post_incident, make_user, onboard, sign_in):
    first = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    onboard(ASHOVER_PRIMARY)
    [original] = post_incident(child_entry("C1", **CHILD), reference="DC-CORRECTED-1", summary="ORIGINAL-SUMMARY")
    [corrected] = post_incident(child_entry("C1", urn=ASHOVER_PRIMARY, **CHILD), reference="DC-CORRECTED-1",
                                summary="CORRECTED-SUMMARY")
    assert corrected["id"] != original["id"]

    sign_in(client, first)
    for path in (f"/notifications/{original['id']}", f"/notifications/{original['id']}/print"):
        page = client.get(path)
        assert page.status_code == 404
        text = BeautifulSoup(page.text, "html.parser").get_text(" ")
        assert "corrected" in text
        for private in ("Zanthe", "Quillfeather", "ORIGINAL-SUMMARY", "CORRECTED-SUMMARY"):
            assert private not in text
    refused = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.access_refused")).all()
    assert [(e.actor_id, e.object_id, e.detail["why"]) for e in refused] == [(str(first.id), original["id"], "corrected")] * 2


def test_a_school_that_sent_a_child_back_is_told_it_moved_and_sees_nothing_of_it(
        db, client, post_incident, make_user, sign_in):
    first = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    [sent] = post_incident(child_entry("C1", **CHILD))
    keyadult_service.record_action(db, staff=_staff(first, BRIMINGTON_JUNIOR), notification_id=sent["id"],
                                   action="not_on_roll", note="Not ours.", now=utcnow())
    db.commit()
    sign_in(client, first)
    page = client.get(f"/notifications/{sent['id']}")
    assert page.status_code == 404
    text = BeautifulSoup(page.text, "html.parser").get_text(" ")
    assert "no longer with you" in text and "Zanthe" not in text
    [refused] = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.access_refused")).all()
    assert refused.detail["why"] == "moved"


def test_a_setting_gets_its_waiting_notifications_when_its_first_key_adult_accepts(db, client, post_incident, make_user):
    [sent] = post_incident(child_entry("C1", urn=ASHOVER_PRIMARY, **CHILD))
    waiting = db.get(Notification, sent["id"])
    assert (waiting.recipient_urn, waiting.la_queue, waiting.intended_urn) == (None, "not_onboarded", ASHOVER_PRIMARY)
    officer_user = make_user("la_officer", la_codes=["830"])
    now = utcnow()

    invitation = administration.invite_user(
        db, email="dsl@ashover.example.sch.uk", display_name="Ash Over", kind="setting_staff", urns=(ASHOVER_PRIMARY,),
        role="key_adult", now=now, by=Actor(type="user", id=str(officer_user.id), source="la_portal"))
    db.commit()
    assert db.get(Notification, sent["id"]).recipient_urn is None  # an invitation alone is not a Key Adult
    accounts_service.accept_invitation(db, token=invitation.link.rsplit("/", 1)[1], password="a long passphrase for ashover",
                                       now=now + timedelta(hours=1))
    db.commit()
    db.expire_all()

    handed = db.get(Notification, sent["id"])
    assert (handed.recipient_urn, handed.la_queue, handed.status) == (ASHOVER_PRIMARY, None, "rerouted")
    assert handed.acknowledge_by > now + timedelta(hours=1)
    alerts = db.exec(select(OutboxMessage).where(OutboxMessage.notification_id == sent["id"],
                                                 OutboxMessage.audience == "setting")).all()
    assert [a.audience_ref for a in alerts] == [ASHOVER_PRIMARY]
    officer = Officer(id=officer_user.id, la_codes=frozenset({"830"}))
    assert la_queues.queue_counts(db, officer)["not_onboarded"] == 0
    history = [entry.text for entry in la_item.view_item(db, officer, sent["id"]).history]
    assert any("Key Adult" in text for text in history), history
    new_key_adult = accounts_service.find_user(db, "dsl@ashover.example.sch.uk")
    inbox = keyadult_inbox.inbox(db, staff=_staff(new_key_adult, ASHOVER_PRIMARY),
                                 criteria=keyadult_inbox.InboxCriteria(), now=utcnow())
    assert [row.id for row in inbox.rows] == [sent["id"]]


def _invite_key_adult(db, urn: str, by) -> str:
    """An invitation to be the setting's Key Adult, not yet accepted (no password): returns its token."""
    invitation = administration.invite_user(
        db, email=f"dsl.{urn}@example.sch.uk", display_name="Ash Over", kind="setting_staff", urns=(urn,),
        role="key_adult", now=utcnow(), by=Actor(type="user", id=str(by.id), source="la_portal"))
    db.commit()
    return invitation.link.rsplit("/", 1)[1]


def test_a_setting_whose_only_key_adult_has_not_accepted_the_invitation_gets_nothing_yet(db, post_incident, make_user):
    """Nobody there can sign in, so the LA holds the child (routing rule 6) until the invitation is accepted."""
    officer_user = make_user("la_officer", la_codes=["830"])
    _invite_key_adult(db, ASHOVER_PRIMARY, officer_user)

    [sent] = post_incident(child_entry("C1", urn=ASHOVER_PRIMARY, **CHILD))

    assert (sent["routing"]["outcome"], sent["routing"]["method"]) == ("local_authority", "not_onboarded"), sent["routing"]
    held = db.get(Notification, sent["id"])
    assert (held.recipient_urn, held.la_queue, held.intended_urn) == (None, "not_onboarded", ASHOVER_PRIMARY)


def test_an_officer_cannot_re_route_to_a_setting_whose_key_adult_is_only_invited(db, post_incident, make_user):
    officer_user = make_user("la_officer", la_codes=["830"])
    [sent] = post_incident(child_entry("C1", urn=None, **CHILD))
    _invite_key_adult(db, ASHOVER_PRIMARY, officer_user)
    officer = Officer(id=officer_user.id, la_codes=frozenset({"830"}))

    with pytest.raises(FormInvalid) as refused:
        la_reroute.reroute(db, officer, sent["id"], target="setting", urn=ASHOVER_PRIMARY,
                           reason="Admissions confirm Ashover.", now=utcnow())
    assert "no active Key Adult" in refused.value.errors["reroute-setting-urn"]
    assert db.get(Notification, sent["id"]).recipient_urn is None


def _old_owners_email_in_flight_at_a_send_back(db, post_incident, make_user):
    """The worker claims the Key Adult's "waiting" email and hands it to Notify (the call takes seconds); meanwhile the
    Key Adult sends the child back, not on the roll. Notify then accepts the school's email: (notification, email)."""
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    make_user("la_officer", la_codes=["830"])
    [sent] = post_incident(child_entry("C1", **CHILD))
    start = utcnow() + timedelta(seconds=1)
    [group] = alerts_service.claim_due(db, worker_id="w", now=start)
    assert alerts_service.plan_delivery(db, group, worker_id="w", now=start) is None  # one message per Key Adult
    db.commit()
    [email] = alerts_service.claim_due(db, worker_id="w", now=start + timedelta(seconds=1))
    assert (email.audience, email.template) == ("user", "notification_waiting")
    db.commit()
    keyadult_service.send_back(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=sent["id"],
                               reason="Not on our roll.", now=start + timedelta(seconds=2))
    db.commit()
    assert alerts_service.mark_sent(db, email, worker_id="w", now=start + timedelta(seconds=3), provider_id=PROVIDER_ID)
    db.commit()
    db.expire_all()
    return db.get(Notification, sent["id"]), email


PROVIDER_ID = "5b0e52d8-4d0d-4c4e-9c7a-8c1f2f1f0a11"


def test_police_do_not_see_sent_for_the_la_when_only_the_old_schools_email_went(db, client, police_key, post_incident,
                                                                               make_user):
    notification, _ = _old_owners_email_in_flight_at_a_send_back(db, post_incident, make_user)

    assert (notification.recipient_urn, notification.recipient_la_code) == (None, "830")
    assert (notification.status, notification.sent_at) == ("rerouted", None)
    read_back = _read_back(client, police_key, notification.id)
    assert (read_back["status"], read_back["sent_at"]) == ("rerouted", None)


def test_a_receipt_for_the_old_schools_email_does_not_make_the_la_delivered(db, post_incident, make_user):
    notification, email = _old_owners_email_in_flight_at_a_send_back(db, post_incident, make_user)
    key_adult_email = db.get(OutboxMessage, email.id)

    receipt = receipts.DeliveryReceipt(id=PROVIDER_ID, reference=f"outbox-{email.id}", to="someone@example.sch.uk",
                                       status="delivered", notification_type="email")
    assert receipts.record_receipt(db, receipt, now=utcnow() + timedelta(minutes=1)) == "recorded"
    db.commit()
    db.expire_all()

    assert key_adult_email.state == "sent"
    assert (db.get(Notification, notification.id).status, db.get(Notification, notification.id).delivered_at) == (
        "rerouted", None)
    assert key_adult_email.receipt_status == "delivered"  # kept on the school's email, where it belongs
