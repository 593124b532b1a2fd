"""A child at more than one setting: each other setting police name is its own notification, routed by the same rules,
with its own owner, deadline and acknowledgement; duplicates are merged with a reason; corrections still work."""

import pytest
from sqlmodel import select

from service.notifications.models import Notification
from service.notifications.scope import Scope, same_child_elsewhere
from service.problems import NotFound
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, child_entry, incident_body


def _police(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def two_schools(onboard):
    return {BRIMINGTON_JUNIOR: onboard(BRIMINGTON_JUNIOR), ASHOVER_PRIMARY: onboard(ASHOVER_PRIMARY)}


def _dual_registered(**extra):
    return child_entry("C1", urn=BRIMINGTON_JUNIOR, other_settings=[
        {"setting_urn": ASHOVER_PRIMARY}, {"setting_urn": BRIMINGTON_JUNIOR, "setting_name": "Brimington Junior"}], **extra)


def test_each_other_setting_gets_its_own_notification_and_a_duplicate_is_merged_with_a_reason(
        client, police_key, two_schools):
    response = client.post("/api/v1/incidents", json=incident_body(_dual_registered()), headers=_police(police_key))
    assert response.status_code == 201
    main, other = response.json()["notifications"]
    assert (main["child_reference"], main["other_setting"], main["routing"]["urn"]) == ("C1", None, BRIMINGTON_JUNIOR)
    assert (other["child_reference"], other["other_setting"], other["routing"]["urn"]) == ("C1", 0, ASHOVER_PRIMARY)
    assert [m["other_setting"] for m in main["merged"]] == [1]
    assert BRIMINGTON_JUNIOR in main["merged"][0]["reason"] and other["merged"] == []
    assert main["id"] != other["id"] and main["acknowledge_by"] and other["acknowledge_by"]
    for receipt in (main, other):
        seen = client.get(f"/api/v1/notifications/{receipt['id']}", headers=_police(police_key)).json()
        assert seen["owner"]["urn"] == receipt["routing"]["urn"]
        assert seen["other_setting"] == receipt["other_setting"]


def test_each_setting_sees_only_its_own_and_the_la_sees_them_together(db, post_incident, two_schools):
    from service.keyadult import service as keyadult_service
    from service.keyadult.service import StaffMember
    from service.db import utcnow

    main, other = post_incident(_dual_registered())
    ashover = StaffMember(user_id=two_schools[ASHOVER_PRIMARY].id, urns=frozenset({ASHOVER_PRIMARY}))
    with pytest.raises(NotFound):
        keyadult_service.open_notification(db, staff=ashover, notification_id=main["id"], now=utcnow())
    keyadult_service.acknowledge(db, staff=ashover, notification_id=other["id"], now=utcnow())
    db.commit()
    db.expire_all()
    assert db.get(Notification, other["id"]).acknowledged_at is not None
    assert db.get(Notification, main["id"]).acknowledged_at is None  # Brimington still has its own to acknowledge

    la = Scope(la_codes=frozenset({"830"}))
    assert [n.id for n in same_child_elsewhere(db, la, db.get(Notification, main["id"]))] == [other["id"]]
    assert same_child_elsewhere(db, Scope(urns=frozenset({ASHOVER_PRIMARY})), db.get(Notification, other["id"])) == []


def test_an_other_setting_with_no_key_adult_goes_to_the_la_for_that_setting(post_incident, two_schools):
    main, other = post_incident(child_entry("C1", urn=BRIMINGTON_JUNIOR,
                                            other_settings=[{"setting_urn": SWANWICK_PRIMARY}]))
    assert other["routing"]["outcome"] == "local_authority" and other["routing"]["la_code"] == "830"
    assert main["routing"]["outcome"] == "setting"


def test_a_correction_replaces_each_settings_notification(client, db, police_key, two_schools):
    body = incident_body(_dual_registered())
    first = client.post("/api/v1/incidents", json=body, headers=_police(police_key)).json()
    corrected = client.post("/api/v1/incidents", json={**body, "summary": "Corrected summary."},
                            headers=_police(police_key))
    assert corrected.status_code == 201 and corrected.json()["version"] == 2
    db.expire_all()
    for old, new in zip(first["notifications"], corrected.json()["notifications"], strict=True):
        assert db.get(Notification, old["id"]).superseded_by_id == new["id"]
        assert old["routing"]["urn"] == new["routing"]["urn"]
    repeat = client.post("/api/v1/incidents", json={**body, "summary": "Corrected summary."}, headers=_police(police_key))
    assert repeat.status_code == 200 and repeat.json() == corrected.json()


def test_a_body_without_other_settings_repeats_exactly_as_before(client, db, police_key, two_schools):
    body = incident_body(child_entry("C1"))
    first = client.post("/api/v1/incidents", json=body, headers=_police(police_key))
    again = client.post("/api/v1/incidents", json={**body, "children": [{**body["children"][0], "other_settings": []}]},
                        headers=_police(police_key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(db.exec(select(Notification)).all()) == 1


@pytest.mark.parametrize(("other_settings", "pointer"), [
    ([{"setting_urn": ASHOVER_PRIMARY}] * 4, "/children/0/other_settings"),
    ([{}], "/children/0/other_settings/0"),
    ([{"setting_urn": "12"}], "/children/0/other_settings/0/setting_urn"),
    ([{"setting_name": "Ashover", "phase": "primary"}], "/children/0/other_settings/0/phase"),
])
def test_other_settings_are_checked_like_every_field(client, police_key, forces, other_settings, pointer):
    response = client.post("/api/v1/incidents", json=incident_body(child_entry("C1", other_settings=other_settings)),
                           headers=_police(police_key))
    assert response.status_code == 422
    assert pointer in [error["pointer"] for error in response.json()["errors"]]


def test_in_one_incident_each_named_setting_is_reached_only_if_it_has_a_key_adult(post_incident, onboard):
    """Intake asks about every URN police gave in one query: one onboarded setting must not make the others look
    onboarded, and a setting asked about twice gets the same answer."""
    onboard(BRIMINGTON_JUNIOR)
    made = post_incident(
        child_entry("C1", urn=ASHOVER_PRIMARY, other_settings=[{"setting_urn": BRIMINGTON_JUNIOR}]),
        child_entry("C2", urn=BRIMINGTON_JUNIOR),
        child_entry("C3", urn=SWANWICK_PRIMARY),
    )
    routed = {(n["child_reference"], n["other_setting"]): (n["routing"]["outcome"], n["routing"]["method"],
                                                           n["routing"].get("urn")) for n in made}
    assert routed == {
        ("C1", None): ("local_authority", "not_onboarded", None),
        ("C1", 0): ("setting", "urn", BRIMINGTON_JUNIOR),
        ("C2", None): ("setting", "urn", BRIMINGTON_JUNIOR),
        ("C3", None): ("local_authority", "not_onboarded", None),
    }
