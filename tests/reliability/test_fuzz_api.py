"""Property-based fuzzing of the police API against the app's own OpenAPI document (Schemathesis)."""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlmodel import func, select

from service.main import create_app

# Loaded at collection from a fresh app: the document is the one the app serves and needs no database;
# requests reach the test database because the app opens its engine per request from the settings.
# (schemathesis.pytest.from_fixture would be neater, but it breaks on pytest 9's node ids.)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app())
# NUL is refused in every text field (PostgreSQL cannot store it); OpenAPI has no tidy way to say so,
# so it is left out of generated data here and tested in test_hostile_input.py instead.
schema.config.generation.update(allow_x00=False)
# The 64 KB body limit is not something a JSON schema can say, and generated text escaped as \uXXXX outgrows it
# whether the data is valid or not: a 413 is a correct answer either way (the limit itself is tested in
# test_hostile_input.py). CI on PostgreSQL met exactly that: invalid data, 413, counted as "accepted".
for check in (schema.config.checks.negative_data_rejection, schema.config.checks.positive_data_acceptance):
    check.expected_statuses = [*check.expected_statuses, "413"]
FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
BRIEF = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def unthrottled(monkeypatch, db):
    from service.config import get_settings

    monkeypatch.setattr(get_settings(), "api_rate_per_minute", 1_000_000)


def keep_business_rules(case) -> None:
    """Turns a schema-valid incident into one the service must accept, so a rejection of it is a finding.

    The schema cannot say "born before the incident", "not in the future" or "child_reference unique",
    nor that one Idempotency-Key names one body; those rules have their own tests in the hostile corpus.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or case.path != "/api/v1/incidents":
        return
    body = case.body
    if not isinstance(body, dict):
        return
    today = datetime.now(UTC)
    occurred = _parse_datetime(body.get("occurred_at"))
    if occurred is None or occurred > today or occurred.year < 1900:
        body["occurred_at"] = (today - timedelta(hours=1)).isoformat()
        occurred = today - timedelta(hours=1)
    for position, child in enumerate(body.get("children") or []):
        if isinstance(child, dict):
            born = _parse_date(child.get("date_of_birth"))
            if born is None or born > occurred.date():
                child["date_of_birth"] = (occurred.date() - timedelta(days=3650)).isoformat()
            child["child_reference"] = f"{str(child.get('child_reference', ''))[:56]}#{position}"
    headers = case.headers or {}
    if headers.get("Idempotency-Key"):
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
        headers["Idempotency-Key"] = f"{headers['Idempotency-Key'][:150]}-{digest}"


def _parse_datetime(value):
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else None


def _parse_date(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@schema.parametrize()
@FUZZ
def test_api_with_a_valid_key(case, police_key, unthrottled):
    keep_business_rules(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {police_key}"})


def assert_turned_away(response, db) -> None:
    """Without a working key nothing is stored and nothing is said beyond "not authenticated",
    except that a body which is not even JSON is refused as such (FastAPI reads the body before the key)."""
    from service.notifications.models import Incident

    assert db.exec(select(func.count()).select_from(Incident)).one() == 0
    if response.status_code in (400, 413, 415):
        return
    if response.status_code == 422:
        assert [e["pointer"] for e in response.json()["errors"]] == [""], response.text
        assert "not valid JSON" in response.json()["errors"][0]["detail"]
        return
    assert response.status_code in (401, 405), response.text


@schema.parametrize()
@BRIEF
def test_api_without_a_key(case, db, unthrottled):
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    assert_turned_away(case.call_and_validate(), db)


@schema.parametrize()
@BRIEF
def test_api_with_a_wrong_key(case, db, police_key, unthrottled):
    wrong = police_key[:-4] + ("AAAA" if not police_key.endswith("AAAA") else "BBBB")
    assert_turned_away(case.call_and_validate(headers={"Authorization": f"Bearer {wrong}"}), db)


def test_real_answers_match_the_document_for_every_routing_outcome(client, police_key, onboard):
    """Fuzzing rarely finds a notification that exists, so read back real ones: routed to a school, to the LA,
    outside the scheme, and superseded by a correction, and check each answer against the published schema."""
    from tests.builders import BRIMINGTON_JUNIOR, child_entry, dob, incident_body

    onboard(BRIMINGTON_JUNIOR)
    auth = {"Authorization": f"Bearer {police_key}"}
    children = [child_entry("SCHOOL"), child_entry("LA", education_status="elective_home_education"),
                child_entry("ADULT", date_of_birth=dob(19)), child_entry("UNKNOWN", setting_urn="999999")]
    first = client.post("/api/v1/incidents", json=incident_body(reference="DC-DOC-1", children=children), headers=auth)
    # One body: occurred_at is "now".
    correction = incident_body(reference="DC-DOC-1", children=children, risk_level="high")
    corrected = client.post("/api/v1/incidents", json=correction, headers=auth)
    repeat = client.post("/api/v1/incidents", json=correction, headers=auth)
    assert (first.status_code, corrected.status_code, repeat.status_code) == (201, 201, 200)
    for response in (first, corrected, repeat):
        schema["/api/v1/incidents"]["POST"].validate_response(response)

    outcomes = set()
    for notification in first.json()["notifications"] + corrected.json()["notifications"]:
        status = client.get(f"/api/v1/notifications/{notification['id']}", headers=auth)
        assert status.status_code == 200
        schema["/api/v1/notifications/{notification_id}"]["GET"].validate_response(status)
        outcomes.add((status.json()["routing"]["outcome"], status.json()["superseded"]))
    assert outcomes == {(outcome, superseded) for outcome in ("setting", "local_authority", "not_routed")
                        for superseded in (True, False)}
