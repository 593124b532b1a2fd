"""Police corrections after people have acted: a correction keeps the owner a person chose, and a child (or a setting)
the correction leaves out is withdrawn, not left with a school and chased.

Each test failed before: a correction was routed again from police's details alone, and only the notifications it
named again were replaced.
"""

from datetime import timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from service.accounts.models import User
from service.alerts.models import OutboxMessage
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
