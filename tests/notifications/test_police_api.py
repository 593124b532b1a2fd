"""The police API v1 contract, end to end through the app and the database."""

import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.notifications.models import Incident, Notification
from tests import builders
from tests.builders import BRIMINGTON_JUNIOR, child_entry, dob

OCCURRED_AT = (datetime.now(UTC) - timedelta(hours=8)).replace(microsecond=0)


def incident_body(**overrides) -> dict:
    """The same incident on every call, so two calls make an exact repeat; overrides change its fields as sent."""
    return builders.incident_body(child_entry(), **{"reference": "DC-2026-1001", "occurred_at": OCCURRED_AT, **overrides})


def post(client, key, body, idempotency_key=None):
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return client.post("/api/v1/incidents", json=body, headers=headers)


def test_child_at_onboarded_school_is_routed_to_it_and_police_can_read_the_status(client, police_key, onboard):
    onboard(BRIMINGTON_JUNIOR)
    response = post(client, police_key, incident_body())
    assert response.status_code == 201
    [notification] = response.json()["notifications"]
    assert notification["routing"]["outcome"] == "setting"
    assert notification["routing"]["urn"] == BRIMINGTON_JUNIOR
    assert notification["routing"]["method"] == "urn"
    assert notification["status"] == "received"
    assert datetime.fromisoformat(notification["acknowledge_by"]) > datetime.now(UTC) - timedelta(hours=8)

    status = client.get(f"/api/v1/notifications/{notification['id']}", headers={"Authorization": f"Bearer {police_key}"})
    assert status.status_code == 200
    assert status.json()["status"] == "received"
    assert status.json()["first_viewed_at"] is None
    assert status.json()["acknowledged_at"] is None


def test_each_child_gets_one_notification_and_an_alert_without_personal_data(client, police_key, onboard, db):
    onboard(BRIMINGTON_JUNIOR)
    body = incident_body()
    body["children"].append({**body["children"][0], "child_reference": "C2", "given_name": "Zebedee",
                             "education_status": "missing_education", "setting_urn": None})
    response = post(client, police_key, body)
    assert response.status_code == 201
    outcomes = {n["child_reference"]: n["routing"] for n in response.json()["notifications"]}
    assert outcomes["C1"]["outcome"] == "setting"
    assert outcomes["C2"] == {**outcomes["C2"], "outcome": "local_authority", "la_code": "830", "method": "education_status"}
    alerts = db.exec(select(OutboxMessage)).all()
    assert {(a.audience, a.audience_ref) for a in alerts} == {("setting", BRIMINGTON_JUNIOR), ("local_authority", "830")}
    for alert in alerts:
        assert "Zebedee" not in alert.link and "Brookes" not in alert.link


def test_setting_without_key_adult_goes_to_its_la_with_the_setting_recorded(client, police_key):
    response = post(client, police_key, incident_body())
    [notification] = response.json()["notifications"]
    assert notification["routing"]["outcome"] == "local_authority"
    assert notification["routing"]["la_code"] == "830"
    assert notification["routing"]["method"] == "not_onboarded"


def test_adult_child_is_not_routed_and_police_are_told_their_pathway(client, police_key):
    body = incident_body()
    body["children"][0]["date_of_birth"] = dob(19)
    [notification] = post(client, police_key, body).json()["notifications"]
    assert notification["routing"]["outcome"] == "not_routed"
    assert notification["acknowledge_by"] is None
    assert "pathway" in notification["routing"]["reason"].lower()


def test_same_idempotency_key_and_body_replays_the_first_answer(client, police_key, db):
    first = post(client, police_key, incident_body(), idempotency_key="retry-1")
    again = post(client, police_key, incident_body(), idempotency_key="retry-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(db.exec(select(Incident)).all()) == 1


def test_same_idempotency_key_with_a_different_body_is_refused(client, police_key, db):
    post(client, police_key, incident_body(), idempotency_key="retry-2")
    changed = post(client, police_key, incident_body(risk_level="high"), idempotency_key="retry-2")
    assert changed.status_code == 422
    assert changed.headers["content-type"].startswith("application/problem+json")
    assert len(db.exec(select(Incident)).all()) == 1


def test_exact_repeat_without_a_key_returns_the_same_notifications(client, police_key, db):
    first = post(client, police_key, incident_body())
    again = post(client, police_key, incident_body())
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(db.exec(select(Notification)).all()) == 1


def test_correction_is_a_new_version_and_the_old_one_is_kept(client, police_key, db):
    first = post(client, police_key, incident_body()).json()
    corrected = post(client, police_key, incident_body(risk_level="high"))
    assert corrected.status_code == 201
    assert corrected.json()["version"] == 2
    incidents = db.exec(select(Incident).order_by(Incident.version)).all()
    assert [(i.version, i.is_current, i.risk_level) for i in incidents] == [(1, False, "medium"), (2, True, "high")]
    old = db.get(Notification, first["notifications"][0]["id"])
    assert old.superseded_by_id == corrected.json()["notifications"][0]["id"]
    status = client.get(f"/api/v1/notifications/{old.id}", headers={"Authorization": f"Bearer {police_key}"}).json()
    assert status["superseded"] is True


def test_a_force_cannot_read_another_forces_notification(client, police_key, other_force_key):
    [notification] = post(client, police_key, incident_body()).json()["notifications"]
    response = client.get(f"/api/v1/notifications/{notification['id']}", headers={"Authorization": f"Bearer {other_force_key}"})
    assert response.status_code == 404
    unknown = client.get("/api/v1/notifications/00000000-0000-0000-0000-000000000000", headers={"Authorization": f"Bearer {other_force_key}"})
    assert unknown.status_code == 404
    assert response.json()["title"] == unknown.json()["title"]


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Bearer oe_aaaaaaaaaaaa_wrong", "Basic dXNlcjpwYXNz"])
def test_missing_or_invalid_key_is_401(client, police_key, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post("/api/v1/incidents", json=incident_body(), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_revoked_key_is_401_and_missing_scope_is_403(client, db, forces):
    from service.police.service import create_client, revoke_client

    read_only = create_client(db, force_id="derbyshire", name="reader", scopes=["notifications:read"])
    revoked = create_client(db, force_id="derbyshire", name="old")
    revoke_client(db, client_id=revoked.client_id)
    db.commit()
    assert post(client, revoked.key, incident_body()).status_code == 401
    forbidden = post(client, read_only.key, incident_body())
    assert forbidden.status_code == 403
    assert "incidents:write" in forbidden.json()["detail"]


def test_rotated_key_works_and_the_old_key_expires_after_the_overlap(client, db, forces):
    from service.police.service import create_client, rotate_key

    issued = create_client(db, force_id="derbyshire", name="rotating")
    rotated = rotate_key(db, client_id=issued.client_id, overlap=timedelta(0))
    db.commit()
    assert post(client, rotated.key, incident_body()).status_code == 201
    assert post(client, issued.key, incident_body(police_reference="DC-2")).status_code == 401


def test_unknown_field_is_422_with_a_pointer(client, police_key):
    body = incident_body()
    body["children"][0]["favourite_colour"] = "blue"
    response = post(client, police_key, body)
    assert response.status_code == 422
    assert {"pointer": "/children/0/favourite_colour", "detail": "This field is not part of the contract."} in response.json()["errors"]


def test_body_over_64kb_is_413(client, police_key):
    response = client.post("/api/v1/incidents", content=b'{"summary": "' + b"x" * 70_000 + b'"}',
                           headers={"Authorization": f"Bearer {police_key}", "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_future_dates_are_422_with_pointers(client, police_key, db):
    body = incident_body()
    body["children"][0]["date_of_birth"] = (date.today() + timedelta(days=30)).isoformat()
    response = post(client, police_key, body)
    assert response.status_code == 422
    assert "/children/0/date_of_birth" in [e["pointer"] for e in response.json()["errors"]]
    late = post(client, police_key, incident_body(occurred_at=(datetime.now(UTC) + timedelta(days=2)).isoformat()))
    assert late.status_code == 422
    assert "/occurred_at" in [e["pointer"] for e in late.json()["errors"]]
    assert db.exec(select(Incident)).all() == []


def test_occurred_at_without_offset_is_refused(client, police_key):
    response = post(client, police_key, incident_body(occurred_at="2026-11-20T21:00:00"))
    assert response.status_code == 422
    assert "/occurred_at" in [e["pointer"] for e in response.json()["errors"]]


def test_children_limits_and_duplicate_references(client, police_key, db):
    body = incident_body()
    body["children"] = [{**body["children"][0], "child_reference": f"C{i}"} for i in range(21)]
    assert post(client, police_key, body).status_code == 422
    body["children"] = [copy.deepcopy(body["children"][0]) for _ in range(2)]
    response = post(client, police_key, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/children/1/child_reference"
    assert post(client, police_key, incident_body(children=[])).status_code == 422
    assert db.exec(select(Incident)).all() == []


def test_throttled_client_gets_429_with_retry_after(client, police_key, monkeypatch):
    from service.config import get_settings

    monkeypatch.setattr(get_settings(), "api_rate_per_minute", 2)
    statuses = [post(client, police_key, incident_body(police_reference=f"DC-T{i}")).status_code for i in range(4)]
    assert statuses[:2] == [201, 201]
    assert statuses[-1] == 429
    throttled = post(client, police_key, incident_body(police_reference="DC-T9"))
    assert int(throttled.headers["Retry-After"]) >= 1
