"""Police corrections after people have acted: a correction with the same details keeps the owner a person chose,
never goes back to a setting that refused the child, and a child (or a setting) it leaves out is withdrawn, not left
with a school and chased.

The first tests failed when a correction was routed again from police's details alone and only the notifications it
named again were replaced; those at the end failed on the first version of the change (review).
"""

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from service.accounts import administration
from service.accounts.models import User
from service.alerts.models import OutboxMessage
from service.audit.service import Actor
from service.db import utcnow
from service.keyadult import service as keyadult_service
from service.keyadult.service import StaffMember
from service.laworkspace import queues as la_queues
from service.laworkspace import reroute as la_reroute
from service.laworkspace.officer import Officer
from service.notifications.models import Notification
from tests.alerts.conftest import clock, make_worker  # noqa: F401  (the alert tests' worker with a settable clock)
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, child_entry

CHILD = {"given_name": "Zanthe", "family_name": "Quillfeather"}
REFERENCE = "DC-CORRECT-1"


def _staff(user, urn: str) -> StaffMember:
    return StaffMember(user_id=user.id, urns=frozenset({urn}))


def _sent_back(db, post_incident, make_user):
    """Police send the child to Brimington, whose Key Adult says not on our roll: (first receipt, Key Adult, officer)."""
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    officer = make_user("la_officer", la_codes=["830"])
    [first] = post_incident(child_entry("C1", **CHILD), reference=REFERENCE, summary="FIRST-SUMMARY")
    keyadult_service.send_back(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=first["id"],
                               reason="Never on our roll.", now=utcnow())
    db.commit()
    return first, key_adult, Officer(id=officer.id, la_codes=frozenset({"830"}))


def _correct(post_incident, *children, summary="CORRECTED-SUMMARY") -> list[dict]:
    """Police correct a detail; their records still carry the setting they gave first."""
    return post_incident(*(children or (child_entry("C1", **CHILD),)), reference=REFERENCE, summary=summary)


def _page_text(client, path: str) -> tuple[int, str]:
    page = client.get(path)
    return page.status_code, BeautifulSoup(page.text, "html.parser").get_text(" ")


def test_a_correction_after_a_send_back_stays_with_the_la_and_the_school_never_sees_it(
        db, client, post_incident, make_user, sign_in):
    first, key_adult, officer = _sent_back(db, post_incident, make_user)

    [corrected] = _correct(post_incident)

    assert corrected["routing"]["outcome"] == "local_authority" and corrected["routing"]["urn"] is None
    assert corrected["routing"]["method"] == "kept_from_earlier_version"
    assert "sent the child back" in corrected["routing"]["reason"]
    stored = db.get(Notification, corrected["id"])
    assert (stored.recipient_urn, stored.recipient_la_code, stored.la_queue) == (None, "830", "sent_back")
    assert stored.acknowledge_by > stored.received_at
    assert la_queues.queue_counts(db, officer)["sent_back"] == 1  # the corrected one, in place of the first
    alerts = db.exec(select(OutboxMessage.audience, OutboxMessage.audience_ref)
                     .where(OutboxMessage.notification_id == corrected["id"])).all()
    assert alerts == [("local_authority", "830")]

    sign_in(client, key_adult)
    for notification_id in (first["id"], corrected["id"]):
        status, text = _page_text(client, f"/notifications/{notification_id}")
        assert status == 404
        for private in ("Zanthe", "Quillfeather", "CORRECTED-SUMMARY"):
            assert private not in text
    client.cookies.clear()
    sign_in(client, db.get(User, officer.id))
    status, text = _page_text(client, "/la/queues/sent_back")
    assert status == 200 and "Quillfeather" in text and "Police corrected it: kept where a person chose" in text


def test_a_correction_after_the_la_re_routed_the_child_stays_with_the_school_the_la_chose(
        db, client, post_incident, make_user, sign_in):
    first, wrong_school, officer = _sent_back(db, post_incident, make_user)
    right_school = make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    la_reroute.reroute(db, officer, first["id"], target="setting", urn=ASHOVER_PRIMARY,
                       reason="Admissions confirm Ashover.", now=utcnow())
    db.commit()

    [corrected] = _correct(post_incident)
    [again] = _correct(post_incident, summary="CORRECTED-AGAIN")  # and a correction of that correction

    for receipt in (corrected, again):
        assert (receipt["routing"]["outcome"], receipt["routing"]["urn"]) == ("setting", ASHOVER_PRIMARY)
        assert receipt["routing"]["method"] == "kept_from_earlier_version"
    sign_in(client, right_school)
    status, text = _page_text(client, f"/notifications/{again['id']}")
    assert status == 200 and "Quillfeather" in text and "CORRECTED-AGAIN" in text
    client.cookies.clear()
    sign_in(client, wrong_school)
    status, text = _page_text(client, f"/notifications/{again['id']}")
    assert status == 404 and "Quillfeather" not in text


def test_a_chosen_setting_with_no_key_adult_now_is_held_by_its_la(db, post_incident, make_user, onboard):
    first, _, officer = _sent_back(db, post_incident, make_user)
    ashover_key_adult = onboard(ASHOVER_PRIMARY)
    la_reroute.reroute(db, officer, first["id"], target="setting", urn=ASHOVER_PRIMARY, reason="Admissions say Ashover.",
                       now=utcnow())
    ashover_key_adult.is_active = False  # the only Key Adult left
    db.add(ashover_key_adult)
    db.commit()

    [corrected] = _correct(post_incident)

    stored = db.get(Notification, corrected["id"])
    assert (stored.recipient_urn, stored.recipient_la_code, stored.la_queue, stored.intended_urn) == (
        None, "830", "not_onboarded", ASHOVER_PRIMARY)


def test_a_correction_that_makes_the_child_18_is_outside_the_scheme_even_after_a_send_back(db, post_incident, make_user):
    _sent_back(db, post_incident, make_user)

    [corrected] = _correct(post_incident, child_entry("C1", age=19, **CHILD))

    assert corrected["routing"]["outcome"] == "not_routed"
    assert db.get(Notification, corrected["id"]).closed_at is not None


def test_without_anyone_acting_a_correction_is_still_routed_from_police_details(db, post_incident, make_user, onboard):
    make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    onboard(ASHOVER_PRIMARY)
    post_incident(child_entry("C1", **CHILD), reference=REFERENCE)

    [corrected] = _correct(post_incident, child_entry("C1", urn=ASHOVER_PRIMARY, **CHILD))

    assert (corrected["routing"]["outcome"], corrected["routing"]["urn"], corrected["routing"]["method"]) == (
        "setting", ASHOVER_PRIMARY, "urn")


def test_a_child_the_correction_leaves_out_is_withdrawn_and_nobody_chases_it(
        db, client, police_key, post_incident, make_user, make_worker, clock, sign_in):
    make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    ashover = make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    make_user("setting_staff", urns=[ASHOVER_PRIMARY], role="deputy")
    first = post_incident(child_entry("C1", given_name="Ellie"), child_entry("C2", urn=ASHOVER_PRIMARY, **CHILD),
                          reference=REFERENCE)
    noah = next(n["id"] for n in first if n["child_reference"] == "C2")
    worker = make_worker()
    clock.now = utcnow() + timedelta(minutes=1)
    worker.run_once()  # Ashover's Key Adult is emailed

    [ellie] = _correct(post_incident, child_entry("C1", given_name="Ellie"))  # police: only Ellie was there

    left_out = db.get(Notification, noah)
    assert (left_out.status, left_out.withdrawal_reason) == ("withdrawn", "left_out_of_correction")
    read_back = client.get(f"/api/v1/notifications/{noah}", headers={"Authorization": f"Bearer {police_key}"}).json()
    assert (read_back["status"], read_back["withdrawal_reason"]) == ("withdrawn", "left_out_of_correction")
    told = db.exec(select(OutboxMessage).where(OutboxMessage.notification_id == noah,
                                               OutboxMessage.template == "notification_withdrawn")).all()
    assert [(m.audience, m.audience_ref) for m in told] == [("setting", ASHOVER_PRIMARY)]
    sign_in(client, ashover)
    status, text = _page_text(client, f"/notifications/{noah}")
    assert status == 404 and "Withdrawn by police" in text and "Quillfeather" not in text

    clock.now = left_out.acknowledge_by + timedelta(hours=3)
    worker.run_once()
    worker.run_once()
    db.expire_all()
    left_out = db.get(Notification, noah)
    assert (left_out.deputies_alerted_at, left_out.escalated_at) == (None, None)
    assert db.get(Notification, ellie["id"]).status != "withdrawn"


def test_a_setting_the_correction_no_longer_names_is_withdrawn_and_the_main_one_replaced(db, post_incident, onboard):
    onboard(BRIMINGTON_JUNIOR)
    onboard(SWANWICK_PRIMARY)
    child = child_entry("C1", **CHILD)
    first = post_incident({**child, "other_settings": [{"setting_urn": SWANWICK_PRIMARY}]}, reference=REFERENCE)
    main, other = sorted(first, key=lambda n: n["other_setting"] is not None)

    [corrected] = _correct(post_incident, child)

    assert db.get(Notification, main["id"]).superseded_by_id == corrected["id"]
    dropped = db.get(Notification, other["id"])
    assert (dropped.status, dropped.withdrawal_reason, dropped.superseded_by_id) == (
        "withdrawn", "left_out_of_correction", None)


# ---- found in review of the first version of this change: each failed on it


def _by_other_setting(receipts):
    return {n["other_setting"]: n for n in receipts}


def test_dropping_a_refused_other_setting_does_not_take_the_next_settings_notification(db, post_incident, make_user):
    """Brimington (main), Swanwick and Ashover (other settings). Swanwick says not on our roll; police correct by
    dropping Swanwick, so Ashover moves from other_settings[1] to other_settings[0]. Matching is by position, so the
    corrected Ashover notification inherits Swanwick's send-back, and Ashover's own is withdrawn as 'left out'."""
    make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    swanwick = make_user("setting_staff", urns=[SWANWICK_PRIMARY])
    ashover = make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    make_user("la_officer", la_codes=["830"])
    child = child_entry("C1", **CHILD)
    first = _by_other_setting(post_incident(
        {**child, "other_settings": [{"setting_urn": SWANWICK_PRIMARY}, {"setting_urn": ASHOVER_PRIMARY}]},
        reference=REFERENCE))
    assert first[0]["routing"]["urn"] == SWANWICK_PRIMARY and first[1]["routing"]["urn"] == ASHOVER_PRIMARY
    keyadult_service.send_back(db, staff=_staff(swanwick, SWANWICK_PRIMARY), notification_id=first[0]["id"],
                               reason="Not on our roll.", now=utcnow())
    keyadult_service.open_notification(db, staff=_staff(ashover, ASHOVER_PRIMARY), notification_id=first[1]["id"],
                                       now=utcnow())
    db.commit()

    corrected = _by_other_setting(post_incident({**child, "other_settings": [{"setting_urn": ASHOVER_PRIMARY}]},
                                                reference=REFERENCE))

    db.expire_all()
    # Police still name Ashover and nobody refused it: the corrected Ashover notification should go to Ashover (not
    # the LA's "Sent back" queue), and Ashover's first one should be replaced, not withdrawn as left out.
    seen = (corrected[0]["routing"]["outcome"], corrected[0]["routing"]["urn"], corrected[0]["routing"]["method"],
            db.get(Notification, first[1]["id"]).withdrawal_reason)
    assert seen == ("setting", ASHOVER_PRIMARY, "urn", None), seen


def test_a_correction_that_names_a_different_school_after_a_send_back_goes_to_that_school(db, post_incident,
                                                                                        make_user):
    """Brimington said not on our roll; police then correct the setting to Ashover (the usual reason for the
    correction). The refusing school is not involved any more, yet the correction is held in 'Sent back'."""
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    make_user("la_officer", la_codes=["830"])
    [first] = post_incident(child_entry("C1", **CHILD), reference=REFERENCE)
    keyadult_service.send_back(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=first["id"],
                               reason="Not on our roll.", now=utcnow())
    db.commit()

    [corrected] = post_incident(child_entry("C1", urn=ASHOVER_PRIMARY, **CHILD), reference=REFERENCE)

    assert (corrected["routing"]["outcome"], corrected["routing"]["urn"]) == ("setting", ASHOVER_PRIMARY), \
        corrected["routing"]


def _kept_not_onboarded(db, post_incident, make_user, onboard):
    """Sent back, re-routed by the LA to Ashover, Ashover's Key Adult leaves, police correct: held by the LA as
    'not onboarded' for Ashover. Returns (corrected receipt, officer user)."""
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    officer_user = make_user("la_officer", la_codes=["830"])
    officer = Officer(id=officer_user.id, la_codes=frozenset({"830"}))
    [first] = post_incident(child_entry("C1", **CHILD), reference=REFERENCE)
    keyadult_service.send_back(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=first["id"],
                               reason="Not on our roll.", now=utcnow())
    ashover_key_adult = onboard(ASHOVER_PRIMARY)
    la_reroute.reroute(db, officer, first["id"], target="setting", urn=ASHOVER_PRIMARY, reason="Admissions say Ashover.",
                       now=utcnow())
    ashover_key_adult.is_active = False
    db.add(ashover_key_adult)
    db.commit()
    [corrected] = post_incident(child_entry("C1", **CHILD), reference=REFERENCE, summary="CORRECTED")
    stored = db.get(Notification, corrected["id"])
    assert (stored.recipient_urn, stored.la_queue, stored.intended_urn) == (None, "not_onboarded", ASHOVER_PRIMARY)
    return corrected, officer_user


def test_a_kept_not_onboarded_notification_goes_to_the_setting_when_it_gets_a_key_adult(db, post_incident, make_user,
                                                                                       onboard):
    corrected, officer_user = _kept_not_onboarded(db, post_incident, make_user, onboard)
    new_key_adult = make_user("setting_staff", email="new.dsl@ashover.example.sch.uk")
    administration.invite_user(db, email=new_key_adult.email, display_name="New DSL", kind="setting_staff",
                               urns=(ASHOVER_PRIMARY,), role="key_adult", now=utcnow(),
                               by=Actor(type="user", id=str(officer_user.id), source="la_portal"))
    db.commit()
    db.expire_all()

    held = db.get(Notification, corrected["id"])
    assert (held.recipient_urn, held.la_queue) == (ASHOVER_PRIMARY, None), (held.recipient_urn, held.la_queue)


def test_a_second_correction_keeps_the_setting_the_la_held_it_for(db, post_incident, make_user, onboard):
    _kept_not_onboarded(db, post_incident, make_user, onboard)

    [again] = post_incident(child_entry("C1", **CHILD), reference=REFERENCE, summary="CORRECTED-AGAIN")

    stored = db.get(Notification, again["id"])
    assert (stored.la_queue, stored.intended_urn) == ("not_onboarded", ASHOVER_PRIMARY), (
        stored.la_queue, stored.intended_urn)


def _c1_sent_back_beside_c2(db, post_incident, make_user):
    """v1: C1 at Brimington, whose Key Adult sends them back, and C2 at Ashover. -> (Brimington's Key Adult, C1, C2)."""
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    make_user("la_officer", la_codes=["830"])
    c1, c2 = child_entry("C1", **CHILD), child_entry("C2", urn=ASHOVER_PRIMARY, given_name="Noah")
    first = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE)}
    keyadult_service.send_back(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=first["C1"]["id"],
                               reason="Not on our roll.", now=utcnow())
    db.commit()
    return key_adult, c1, c2


def test_a_child_left_out_by_mistake_and_put_back_does_not_go_back_to_the_school_that_refused(
        db, post_incident, make_user):
    """v1: C1 (Brimington) and C2; Brimington sends C1 back. v2 leaves C1 out by mistake (withdrawn). v3 puts C1
    back, exactly as in v1: the correction is routed from police details to the school that said not on our roll."""
    key_adult, c1, c2 = _c1_sent_back_beside_c2(db, post_incident, make_user)
    post_incident(c2, reference=REFERENCE)  # C1 left out by mistake

    third = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="PUT BACK")}

    assert third["C1"]["routing"]["urn"] != BRIMINGTON_JUNIOR, third["C1"]["routing"]
    scope = _staff(key_adult, BRIMINGTON_JUNIOR)
    assert db.exec(select(Notification.id).where(Notification.id == third["C1"]["id"],
                                                 Notification.recipient_urn.in_(scope.urns))).first() is None


def test_a_kept_setting_that_police_also_name_as_another_setting_gets_one_notification(db, post_incident, make_user):
    """Brimington sends C1 back; the LA re-routes to Ashover. Police correct, now also naming Ashover as another
    setting: Ashover gets the child twice (the kept main one and a fresh one), two deadlines, two ladders."""
    key_adult = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    officer_user = make_user("la_officer", la_codes=["830"])
    [first] = post_incident(child_entry("C1", **CHILD), reference=REFERENCE)
    keyadult_service.send_back(db, staff=_staff(key_adult, BRIMINGTON_JUNIOR), notification_id=first["id"],
                               reason="Not on our roll.", now=utcnow())
    la_reroute.reroute(db, Officer(id=officer_user.id, la_codes=frozenset({"830"})), first["id"], target="setting",
                       urn=ASHOVER_PRIMARY, reason="Admissions say Ashover.", now=utcnow())
    db.commit()

    corrected = post_incident({**child_entry("C1", **CHILD), "other_settings": [{"setting_urn": ASHOVER_PRIMARY}]},
                              reference=REFERENCE)

    at_ashover = [n for n in corrected if n["routing"]["urn"] == ASHOVER_PRIMARY]
    assert len(at_ashover) == 1, corrected


def _left_out_after_a_re_route(db, post_incident, make_user):
    """v1: C1 at Brimington (who never hears otherwise) and C2 at Ashover; the LA finds C1 moved and re-routes them
    to Ashover; v2 leaves C1 out by mistake (withdrawn). -> (Brimington's Key Adult, C1, C2, v2's receipt)."""
    brimington = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    officer_user = make_user("la_officer", la_codes=["830"])
    officer = Officer(id=officer_user.id, la_codes=frozenset({"830"}))
    c1, c2 = child_entry("C1", **CHILD), child_entry("C2", urn=ASHOVER_PRIMARY, given_name="Noah")
    first = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE)}
    la_reroute.reroute(db, officer, first["C1"]["id"], target="setting", urn=ASHOVER_PRIMARY,
                       reason="Moved to Ashover in September.", now=utcnow())
    db.commit()
    [second] = post_incident(c2, reference=REFERENCE)
    return brimington, c1, c2, second


def test_a_child_left_out_by_mistake_and_put_back_goes_to_the_school_the_la_chose(
        db, client, post_incident, make_user, sign_in):
    """v3 puts C1 back as in v1. Before, C1 was routed again from police's details, so Brimington, the school the
    officer had taken the child from, got the child's details back."""
    brimington, c1, c2, _ = _left_out_after_a_re_route(db, post_incident, make_user)

    third = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="PUT BACK")}

    routing = third["C1"]["routing"]
    assert (routing["outcome"], routing["urn"], routing["method"]) == ("setting", ASHOVER_PRIMARY,
                                                                      "kept_from_earlier_version"), routing
    assert "re-routed" in routing["reason"]
    sign_in(client, brimington)
    status, text = _page_text(client, f"/notifications/{third['C1']['id']}")
    assert status == 404 and "Quillfeather" not in text and "PUT BACK" not in text


def test_a_child_put_back_after_police_withdrew_the_whole_incident_is_routed_afresh(
        db, client, police_key, post_incident, make_user):
    """A withdrawal says the incident was sent in error: what people chose before it is not carried over."""
    _, c1, c2, second = _left_out_after_a_re_route(db, post_incident, make_user)
    incident_id = db.get(Notification, second["id"]).incident_id
    withdrawn = client.post(f"/api/v1/incidents/{incident_id}/withdrawal", json={"reason": "sent_in_error"},
                            headers={"Authorization": f"Bearer {police_key}"})
    assert withdrawn.status_code == 200, withdrawn.text

    third = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="AFRESH")}

    assert (third["C1"]["routing"]["urn"], third["C1"]["routing"]["method"]) == (BRIMINGTON_JUNIOR, "urn")


# ---- From a review of the put-back change: each of these failed on it.

def _withdraw(client, police_key, path: str, reason: str) -> dict:
    response = client.post(f"/api/v1/{path}/withdrawal", json={"reason": reason},
                           headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_withdrawing_another_child_alone_is_not_withdrawing_the_incident(db, client, police_key, post_incident,
                                                                         make_user):
    """v2 names only C2, and police withdraw C2 alone (wrong child): every notification of v2 is withdrawn, but the
    incident is not. C1 put back keeps the school the officer chose, not the one they took the child from."""
    _, c1, _, second = _left_out_after_a_re_route(db, post_incident, make_user)
    _withdraw(client, police_key, f"notifications/{second['id']}", "wrong_child")

    [third] = post_incident(c1, reference=REFERENCE, summary="PUT BACK")

    assert (third["routing"]["urn"], third["routing"]["method"]) == (ASHOVER_PRIMARY, "kept_from_earlier_version")


def test_a_whole_incident_withdrawal_two_versions_back_still_means_routed_afresh(db, client, police_key,
                                                                               post_incident, make_user):
    _, c1, c2, second = _left_out_after_a_re_route(db, post_incident, make_user)
    _withdraw(client, police_key, f"incidents/{db.get(Notification, second['id']).incident_id}", "sent_in_error")
    post_incident(c2, reference=REFERENCE, summary="v3, after the withdrawal")

    fourth = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="v4")}

    assert (fourth["C1"]["routing"]["urn"], fourth["C1"]["routing"]["method"]) == (BRIMINGTON_JUNIOR, "urn")


def test_police_withdrawing_a_put_back_child_by_their_first_id_reaches_the_one_the_school_holds(
        db, client, police_key, post_incident, make_user):
    """The API promises a withdrawal by the first receipt's id reaches the newest correction. Before, the left-out
    notification was not linked to the one that put the child back: the withdrawal stopped at it, said
    "withdrawn", and Ashover kept the child's details."""
    _, c1, c2, _ = _left_out_after_a_re_route(db, post_incident, make_user)
    first_id = db.exec(select(Notification.id).where(Notification.child_reference == "C1")
                       .order_by(Notification.received_at)).first()
    third = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="PUT BACK")}

    receipt = _withdraw(client, police_key, f"notifications/{first_id}", "wrong_child")

    assert receipt["notifications"][0]["id"] == third["C1"]["id"]
    db.expire_all()
    assert db.get(Notification, third["C1"]["id"]).withdrawn_at is not None


def test_a_put_back_child_never_goes_to_a_school_that_sent_them_back_since(db, post_incident, make_user):
    """v1: main Brimington, other Swanwick; the LA re-routes the Swanwick one to Ashover. v2 drops Swanwick (left
    out, owner Ashover). v3: main Ashover, and Ashover says not on our roll. v4 names Brimington and Swanwick
    again: the put-back one must not take Ashover, which refused the child, from the left-out row."""
    make_user("setting_staff", urns=[BRIMINGTON_JUNIOR])
    make_user("setting_staff", urns=[SWANWICK_PRIMARY])
    ashover = make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    officer_user = make_user("la_officer", la_codes=["830"])
    officer = Officer(id=officer_user.id, la_codes=frozenset({"830"}))
    main_only = child_entry("C1", **CHILD)
    with_other = {**main_only, "other_settings": [{"setting_urn": SWANWICK_PRIMARY}]}
    first = {n["other_setting"]: n for n in post_incident(with_other, reference=REFERENCE)}
    la_reroute.reroute(db, officer, first[0]["id"], target="setting", urn=ASHOVER_PRIMARY, reason="Ashover.",
                       now=utcnow())
    db.commit()
    post_incident(main_only, reference=REFERENCE, summary="v2")
    [third] = post_incident(child_entry("C1", urn=ASHOVER_PRIMARY, **CHILD), reference=REFERENCE, summary="v3")
    keyadult_service.send_back(db, staff=_staff(ashover, ASHOVER_PRIMARY), notification_id=third["id"],
                               reason="Not on our roll.", now=utcnow())
    db.commit()

    fourth = post_incident(with_other, reference=REFERENCE, summary="v4")

    assert ASHOVER_PRIMARY not in {n["routing"]["urn"] for n in fourth}, [n["routing"] for n in fourth]


def test_an_owner_kept_by_a_correction_is_never_a_school_that_refused_the_child(db, post_incident, make_user):
    """No put-back: main Ashover, other Swanwick; the LA re-routes the Swanwick one to Ashover, then Ashover sends
    the main one back. A correction with the same details must not keep Ashover for the other one."""
    make_user("setting_staff", urns=[SWANWICK_PRIMARY])
    ashover = make_user("setting_staff", urns=[ASHOVER_PRIMARY])
    officer_user = make_user("la_officer", la_codes=["830"])
    officer = Officer(id=officer_user.id, la_codes=frozenset({"830"}))
    body = {**child_entry("C1", urn=ASHOVER_PRIMARY, **CHILD), "other_settings": [{"setting_urn": SWANWICK_PRIMARY}]}
    first = {n["other_setting"]: n for n in post_incident(body, reference=REFERENCE)}
    la_reroute.reroute(db, officer, first[0]["id"], target="setting", urn=ASHOVER_PRIMARY, reason="Ashover.",
                       now=utcnow())
    keyadult_service.send_back(db, staff=_staff(ashover, ASHOVER_PRIMARY), notification_id=first[None]["id"],
                               reason="Not on our roll.", now=utcnow())
    db.commit()

    second = post_incident(body, reference=REFERENCE, summary="v2")

    assert ASHOVER_PRIMARY not in {n["routing"]["urn"] for n in second}, [n["routing"] for n in second]


def test_a_put_back_child_the_la_held_in_sent_back_is_in_sent_back_again(db, post_incident, make_user):
    _, c1, c2 = _c1_sent_back_beside_c2(db, post_incident, make_user)
    post_incident(c1, c2, reference=REFERENCE, summary="v2")  # kept in Sent back
    post_incident(c2, reference=REFERENCE, summary="v3 leaves C1 out")

    fourth = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="v4 puts back")}

    held = db.get(Notification, fourth["C1"]["id"])
    assert (held.recipient_urn, held.la_queue) == (None, "sent_back")


def test_a_child_left_out_twice_and_put_back_twice_keeps_the_las_choice_each_time(db, post_incident, make_user):
    _, c1, c2, _ = _left_out_after_a_re_route(db, post_incident, make_user)
    third = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="v3")}
    post_incident(c2, reference=REFERENCE, summary="v4")
    post_incident(c2, reference=REFERENCE, summary="v5 still leaves C1 out")
    sixth = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="v6")}
    for receipt in (third, sixth):
        assert (receipt["C1"]["routing"]["urn"], receipt["C1"]["routing"]["method"]) == (
            ASHOVER_PRIMARY, "kept_from_earlier_version")


def test_police_withdrawing_a_child_already_left_out_is_recorded_as_theirs(db, client, police_key, post_incident,
                                                                          make_user):
    """C1 left out in v2; police then withdraw C1 (wrong child) by their first id. Before, the withdrawal changed
    nothing (it was already withdrawn, as left out), police read back "left_out_of_correction", and a later
    put-back kept the LA's choice as if the child had only been left out by mistake."""
    _, c1, c2, _ = _left_out_after_a_re_route(db, post_incident, make_user)
    first_id = db.exec(select(Notification.id).where(Notification.child_reference == "C1")).one()

    receipt = _withdraw(client, police_key, f"notifications/{first_id}", "wrong_child")

    assert receipt["notifications"][0]["withdrawal_reason"] == "wrong_child"
    again = _withdraw(client, police_key, f"notifications/{first_id}", "sent_in_error")  # a repeat changes nothing
    assert again["notifications"][0]["withdrawal_reason"] == "wrong_child"
    third = {n["child_reference"]: n for n in post_incident(c1, c2, reference=REFERENCE, summary="v3")}
    assert (third["C1"]["routing"]["urn"], third["C1"]["routing"]["method"]) == (BRIMINGTON_JUNIOR, "urn")


def test_a_put_back_child_held_for_a_setting_with_no_key_adult_is_held_for_it_again(db, post_incident, make_user,
                                                                                   onboard):
    """Held by the LA as "not onboarded" for Ashover, then left out, then put back: before, the put-back one was
    in "To resolve" with no setting meant, so Ashover's next Key Adult would never have got it."""
    _kept_not_onboarded(db, post_incident, make_user, onboard)
    post_incident(child_entry("C2", urn=ASHOVER_PRIMARY, given_name="Noah"), reference=REFERENCE, summary="C1 out")

    [back] = [n for n in post_incident(child_entry("C1", **CHILD), reference=REFERENCE, summary="C1 back")
              if n["child_reference"] == "C1"]

    held = db.get(Notification, back["id"])
    assert (held.recipient_urn, held.la_queue, held.intended_urn) == (None, "not_onboarded", ASHOVER_PRIMARY)


def test_a_school_the_la_sends_the_child_back_to_after_it_refused_keeps_them_through_a_correction(
        db, post_incident, make_user):
    """Brimington says not on our roll; the LA officer checks, finds the child is on it after all and re-routes
    the notification back to Brimington. A correction with the same details keeps the officer's choice: the refusal
    came before it (found by the lifecycle state machine in CI: before, the correction went to the LA's Sent back)."""
    first, _, officer = _sent_back(db, post_incident, make_user)
    [held] = db.exec(select(Notification).where(Notification.superseded_by_id.is_(None))).all()
    la_reroute.reroute(db, officer, held.id, target="setting", urn=BRIMINGTON_JUNIOR,
                       reason="Checked with the school: on roll since Monday.", now=utcnow())
    db.commit()

    [corrected] = _correct(post_incident)

    assert (corrected["routing"]["urn"], corrected["routing"]["method"]) == (BRIMINGTON_JUNIOR,
                                                                            "kept_from_earlier_version")
