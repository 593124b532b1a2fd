"""Hand-over edges found in review: a sent-back child never returns to the setting that refused it, a page read
before a hand-over cannot act on the new owner's notification, and the old owner's unsent alert neither goes out
nor counts as the new owner's delivery. Each failed before the fix."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from service.accounts import administration
from service.accounts import service as accounts_service
from service.alerts.models import OutboxMessage
from service.alerts.webhooks import WebhookSender
from service.alerts.worker import OutboxWorker
from service.audit.service import Actor
from service.db import utcnow
from service.escalation.service import apply_ladder_step
from service.keyadult import service as keyadult_service
from service.keyadult.service import StaffMember
from service.laworkspace import reroute as la_reroute
from service.laworkspace.officer import Officer
from service.notifications import lifecycle
from service.notifications.models import Notification, NotificationOwnerPeriod
from service.notifications.scope import get_notification
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, child_entry


class _Inboxes:
    delivers = True

    def __init__(self):
        self.sent = []

    def send(self, *, email_address, template, link, reference):
        self.sent.append((email_address, template))


def _new_key_adult(db, email: str, by: Actor, now) -> int:
    invitation = administration.invite_user(db, email=email, display_name="DSL", kind="setting_staff",
                                            urns=(ASHOVER_PRIMARY,), role="key_adult", now=now, by=by)
    db.commit()
    accounts_service.accept_invitation(db, token=invitation.link.rsplit("/", 1)[1], password="a long passphrase for ashover",
                                       now=now + timedelta(minutes=1))
    db.commit()
    db.expire_all()
    return accounts_service.find_user(db, email).id


def test_a_child_sent_back_and_escalated_does_not_return_to_the_setting_when_it_gets_another_key_adult(
        db, post_incident, make_user):
    [sent] = post_incident(child_entry("C1", urn=ASHOVER_PRIMARY))
    by = Actor(type="user", id=str(make_user("la_officer", la_codes=["830"]).id), source="la_portal")
    now = utcnow()
    first = _new_key_adult(db, "dsl1@ashover.example.sch.uk", by, now)
    assert db.get(Notification, sent["id"]).recipient_urn == ASHOVER_PRIMARY
    keyadult_service.record_action(db, staff=StaffMember(user_id=first, urns=frozenset({ASHOVER_PRIMARY})),
                                   notification_id=sent["id"], action="not_on_roll", note="Not ours.",
                                   now=now + timedelta(minutes=2))
    db.commit()
    db.expire_all()
    later = db.get(Notification, sent["id"]).acknowledge_by + timedelta(minutes=5)
    assert apply_ladder_step(db, sent["id"], now=later, escalate_after=timedelta(hours=2)).kind == "escalate_to_la"
    db.commit()

    _new_key_adult(db, "dsl2@ashover.example.sch.uk", by, later)
    stays = db.get(Notification, sent["id"])
    assert (stays.recipient_urn, stays.la_queue) == (None, "escalated")


@pytest.mark.parametrize("what", ["acknowledge", "send_back", "close"])
def test_a_page_read_before_a_reroute_cannot_act_on_the_new_owners_notification(
        engine, db, post_incident, make_user, onboard, what):
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    officer = Officer(id=make_user("la_officer", la_codes=["830"]).id, la_codes=frozenset({"830"}))
    onboard(ASHOVER_PRIMARY)
    [sent] = post_incident(child_entry("C1"))
    staff = StaffMember(user_id=key_adult.id, urns=frozenset({BRIMINGTON_JUNIOR}))
    now = utcnow()
    with Session(engine, expire_on_commit=False) as setting_request, Session(engine, expire_on_commit=False) as la_request:
        stale = get_notification(setting_request, staff.scope, sent["id"])  # the Key Adult's page, read first
        setting_request.commit()
        la_reroute.reroute(la_request, officer, sent["id"], target="setting", urn=ASHOVER_PRIMARY, reason="Moved school",
                           now=now)
        la_request.commit()
        with pytest.raises(lifecycle.IllegalTransition):
            if what == "acknowledge":
                lifecycle.acknowledge(setting_request, stale, actor=staff.actor, now=now + timedelta(seconds=1))
            elif what == "close":
                lifecycle.close(setting_request, stale, actor=staff.actor, now=now + timedelta(seconds=1))
            else:
                lifecycle.hand_over(setting_request, stale, to=lifecycle.NewOwner(urn=None, la_code="830", la_queue="sent_back"),
                                    because=lifecycle.HandOver.SENT_BACK, actor=staff.actor, now=now + timedelta(seconds=1))
        setting_request.rollback()
    db.expire_all()
    held = db.get(Notification, sent["id"])
    assert (held.recipient_urn, held.acknowledged_at, held.closed_at) == (ASHOVER_PRIMARY, None, None)
    periods = db.exec(select(NotificationOwnerPeriod).where(NotificationOwnerPeriod.notification_id == sent["id"])).all()
    assert [p.recipient_urn for p in periods] == [BRIMINGTON_JUNIOR]


def test_the_old_owners_unsent_alert_is_cancelled_and_never_counts_as_the_new_owners_delivery(db, post_incident, make_user):
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    [sent] = post_incident(child_entry("C1"))
    now = utcnow()
    # The school sends it back before the worker has sent the school's alert.
    keyadult_service.record_action(db, staff=StaffMember(user_id=key_adult.id, urns=frozenset({BRIMINGTON_JUNIOR})),
                                   notification_id=sent["id"], action="not_on_roll", note="Not ours.", now=now)
    db.commit()
    inbox, hooks = _Inboxes(), WebhookSender()
    try:
        OutboxWorker(worker_id="w", email_sender=inbox, webhook_sender=hooks, max_attempts=3,
                     escalate_after=timedelta(hours=2), clock=lambda: now + timedelta(minutes=1), rng=lambda: 0.5).run_once()
    finally:
        hooks.close()
    db.expire_all()
    assert key_adult.email not in [address for address, _ in inbox.sent]
    school_alerts = db.exec(select(OutboxMessage).where(OutboxMessage.notification_id == sent["id"],
                                                        OutboxMessage.audience == "setting")).all()
    assert [a.state for a in school_alerts] == ["cancelled"]
    la_alerts = db.exec(select(OutboxMessage).where(OutboxMessage.notification_id == sent["id"],
                                                    OutboxMessage.audience == "local_authority")).all()
    assert [a.state for a in la_alerts] == ["sent"]
    assert db.get(Notification, sent["id"]).sent_at is not None  # the LA's own alert, and only that
