"""The workspace's service layer: queues, re-routing, assigning, outcomes, without HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.laworkspace import item as la_item
from service.laworkspace import queues as la_queues
from service.laworkspace import reroute as la_reroute
from service.problems import FormInvalid
from service.notifications.models import Notification, NotificationAction, NotificationEvent
from tests.laworkspace.conftest import AMBIGUOUS_NAME, ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, child_entry


def test_each_queue_holds_the_children_routed_to_it(db, post_incident, as_officer):
    officer, _ = as_officer("830")
    post_incident(
        child_entry("C1", education_status="elective_home_education"),
        child_entry("C2", education_status="attends_setting", setting_name=AMBIGUOUS_NAME),
        child_entry("C3", education_status="attends_setting", setting_urn=BRIMINGTON_JUNIOR),
    )
    counts = la_queues.queue_counts(db, officer)
    assert counts == {"not_in_school": 1, "to_resolve": 1, "not_onboarded": 1, "sent_back": 0, "holiday_cover": 0, "escalated": 0}

    page = la_queues.queue_page(db, officer, "to_resolve", la_queues.QueueFilters())
    [item] = page.items
    assert "more than one setting" in item.routing_reason
    assert len(item.candidates) == 3
    assert all(c["score"] > 0 and c["urn"] for c in item.candidates)


def test_not_in_school_queue_filters_by_education_status_and_pages(db, post_incident, as_officer, monkeypatch):
    officer, _ = as_officer("830")
    monkeypatch.setattr(la_queues, "PAGE_SIZE", 2)
    post_incident(*[child_entry(f"H{i}", education_status="elective_home_education") for i in range(3)],
                  child_entry("M1", education_status="missing_education"))
    home_educated = la_queues.queue_page(db, officer, "not_in_school",
                                         la_queues.QueueFilters(education_status="elective_home_education"))
    assert home_educated.total == 3 and home_educated.page_count == 2 and len(home_educated.items) == 2
    second = la_queues.queue_page(db, officer, "not_in_school",
                                  la_queues.QueueFilters(education_status="elective_home_education", page=2))
    assert len(second.items) == 1
    assert {i.id for i in second.items}.isdisjoint({i.id for i in home_educated.items})
    missing = la_queues.queue_page(db, officer, "not_in_school", la_queues.QueueFilters(education_status="missing_education"))
    assert [i.education_status for i in missing.items] == ["missing_education"]


def test_reroute_to_a_setting_moves_it_out_of_the_queue_and_alerts_the_setting(db, post_incident, as_officer, onboard):
    officer, _ = as_officer("830")
    [sent] = post_incident(child_entry("C1", education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    before = db.get(Notification, sent["id"])
    original = (before.routing_method, before.routing_reason, before.routing_score, list(before.routing_candidates))
    onboard(ASHOVER_PRIMARY)
    now = datetime.now(UTC)

    result = la_reroute.reroute(db, officer, sent["id"], target="setting", urn=ASHOVER_PRIMARY,
                               reason="Mum confirmed the child started at Ashover in September.", now=now)
    db.commit()

    after = db.get(Notification, sent["id"])
    assert (after.recipient_urn, after.recipient_la_code, after.la_queue, after.status) == (ASHOVER_PRIMARY, "830", None, "rerouted")
    assert (after.routing_method, after.routing_reason, after.routing_score, after.routing_candidates) == original
    assert after.acknowledge_by > now
    assert result.from_queue == "to_resolve"
    assert la_queues.queue_counts(db, officer)["to_resolve"] == 0
    alerts = db.exec(select(OutboxMessage).where(OutboxMessage.notification_id == sent["id"])).all()
    assert ("setting", ASHOVER_PRIMARY) in {(a.audience, a.audience_ref) for a in alerts}
    [audit] = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.rerouted")).all()
    assert (audit.actor_id, audit.object_id) == (str(officer.id), sent["id"])
    assert audit.detail["from_queue"] == "to_resolve" and audit.detail["to_urn"] == ASHOVER_PRIMARY
    reason = db.get(NotificationAction, audit.detail["reason_action_id"])
    assert reason.note.startswith("Mum confirmed") and reason.recorded_by == officer.id
    assert "Mum" not in str(audit.detail)  # the reason is kept with the notification, not in the audit trail
    assert db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == sent["id"],
                                                   NotificationEvent.status == "rerouted")).first()


def test_reroute_to_another_la_lands_in_that_las_queue_with_its_alert(db, post_incident, as_officer):
    officer, _ = as_officer("830")
    derby_officer, _ = as_officer("831")
    [sent] = post_incident(child_entry("C1", education_status="missing_education"))
    result = la_reroute.reroute(db, officer, sent["id"], target="la", la_code="831", reason="Family moved to Derby city.")
    db.commit()
    assert not result.still_visible
    assert la_queues.queue_counts(db, officer)["not_in_school"] == 0
    assert la_queues.queue_counts(db, derby_officer)["not_in_school"] == 1
    alert = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "local_authority", OutboxMessage.audience_ref == "831")).one()
    assert alert.link.endswith(f"/la/notifications/{sent['id']}")


@pytest.mark.parametrize("choice, message", [
    ({"target": "setting", "urn": BRIMINGTON_JUNIOR, "reason": "School confirmed."}, "no active Key Adult"),
    ({"target": "setting", "urn": ASHOVER_PRIMARY, "reason": "  "}, "Enter why"),
    ({"target": "setting", "urn": None, "reason": "Because"}, "Choose the setting"),
    ({"target": "la", "la_code": "830", "reason": "Because"}, "already with this one"),
    ({"target": "la", "la_code": "999", "reason": "Because"}, "Choose the local authority"),
])
def test_reroute_refuses_what_would_leave_the_child_with_nobody(db, post_incident, as_officer, onboard, choice, message):
    officer, _ = as_officer("830")
    onboard(ASHOVER_PRIMARY)
    [sent] = post_incident(child_entry("C1", education_status="missing_education"))
    with pytest.raises(FormInvalid) as refused:
        la_reroute.reroute(db, officer, sent["id"], **choice)
    assert any(message in text for text in refused.value.errors.values()), refused.value.errors
    db.rollback()
    assert db.get(Notification, sent["id"]).la_queue == "not_in_school"


def test_items_are_assigned_only_to_officers_of_the_same_la(db, post_incident, as_officer):
    officer, _ = as_officer("830")
    colleague, colleague_user = as_officer("830", name="Colleague")
    _, nottingham_user = as_officer("891")
    [sent] = post_incident(child_entry())
    la_item.assign(db, officer, sent["id"], str(colleague_user.id))
    db.commit()
    mine = la_queues.queue_page(db, colleague, "not_in_school", la_queues.QueueFilters(assigned="me"))
    assert [i.assigned_to for i in mine.items] == ["Colleague"]
    with pytest.raises(FormInvalid):
        la_item.assign(db, officer, sent["id"], str(nottingham_user.id))


def test_acknowledging_and_closing_an_la_item(db, post_incident, as_officer):
    officer, _ = as_officer("830")
    [sent] = post_incident(child_entry())
    la_item.acknowledge(db, officer, sent["id"])
    db.commit()
    assert db.get(Notification, sent["id"]).status == "acknowledged"
    assert la_queues.queue_counts(db, officer)["not_in_school"] == 1  # acknowledged is not finished

    with pytest.raises(FormInvalid) as refused:
        la_item.record_outcome(db, officer, sent["id"], la_item.OutcomeForm("other", "", close=True))
    assert "outcome-note" in refused.value.errors
    closed = la_item.record_outcome(db, officer, sent["id"], la_item.OutcomeForm(
        "missing_education_enquiries_started", "Checked the CME register.", close=True))
    db.commit()
    assert closed
    n = db.get(Notification, sent["id"])
    assert (n.status, n.la_queue) == ("closed", None) and n.closed_at is not None
    assert la_queues.queue_counts(db, officer)["not_in_school"] == 0


def test_escalated_setting_item_leaves_the_queue_when_the_setting_acknowledges(db, post_incident, as_officer, onboard):
    from service.escalation.service import apply_ladder_step

    officer, _ = as_officer("830")
    onboard(BRIMINGTON_JUNIOR)
    [sent] = post_incident(child_entry("C1", education_status="attends_setting", setting_urn=BRIMINGTON_JUNIOR))
    later = db.get(Notification, sent["id"]).acknowledge_by + timedelta(hours=3)
    apply_ladder_step(db, sent["id"], now=later, escalate_after=timedelta(hours=2))
    apply_ladder_step(db, sent["id"], now=later, escalate_after=timedelta(hours=2))
    db.commit()
    assert la_queues.queue_counts(db, officer)["escalated"] == 1
    with pytest.raises(FormInvalid):
        la_item.acknowledge(db, officer, sent["id"])  # the setting holds it
    db.rollback()
    n = db.get(Notification, sent["id"])
    n.acknowledged_at = later
    db.add(n)
    db.commit()
    assert la_queues.queue_counts(db, officer)["escalated"] == 0


def test_viewing_an_la_item_marks_it_viewed_and_is_audited(db, post_incident, as_officer):
    officer, _ = as_officer("830")
    [sent] = post_incident(child_entry())
    item = la_item.view_item(db, officer, sent["id"])
    db.commit()
    assert item.notification.first_viewed_at is not None and item.notification.status == "viewed"
    views = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.viewed", AuditEvent.object_id == sent["id"])).all()
    assert [v.actor_id for v in views] == [str(officer.id)]


def test_register_search_for_rerouting_says_which_settings_can_receive(db, onboard, post_incident, as_officer):
    officer, _ = as_officer("830")
    [sent] = post_incident(child_entry("C1", education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    onboard(ASHOVER_PRIMARY)
    by_urn = la_reroute.setting_choices(db, officer, sent["id"], ASHOVER_PRIMARY)
    assert [(c.urn, c.onboarded) for c in by_urn] == [(ASHOVER_PRIMARY, True)]
    by_name = la_reroute.setting_choices(db, officer, sent["id"], "Brimington Junior")
    assert (BRIMINGTON_JUNIOR, False) in {(c.urn, c.onboarded) for c in by_name}


def test_the_officers_reason_stays_beside_a_re_routed_notification_once_its_deputies_are_alerted(
        db, post_incident, as_officer, onboard):
    """Re-routed, not yet sent, then past its deadline: the deputies-alerted event is written while the status is
    still "rerouted". Before, it was read as a hand-over without a reason, and the officer's reason went missing."""
    from service.escalation.service import apply_ladder_step
    from service.laworkspace.handovers import latest_hand_overs

    officer, _ = as_officer("830")
    [sent] = post_incident(child_entry("C1", education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    onboard(ASHOVER_PRIMARY)
    onboard(ASHOVER_PRIMARY, role="deputy")
    la_reroute.reroute(db, officer, sent["id"], target="setting", urn=ASHOVER_PRIMARY,
                       reason="Mum confirmed the child started at Ashover in September.", now=datetime.now(UTC))
    db.commit()
    deadline = db.get(Notification, sent["id"]).acknowledge_by

    apply_ladder_step(db, sent["id"], now=deadline + timedelta(minutes=5), escalate_after=timedelta(hours=2))
    db.commit()

    after = db.get(Notification, sent["id"])
    assert after.deputies_alerted_at is not None and after.status == "rerouted"
    hand_over = latest_hand_overs(db, officer.scope, [sent["id"]])[sent["id"]]
    assert hand_over.reason == "Mum confirmed the child started at Ashover in September."
