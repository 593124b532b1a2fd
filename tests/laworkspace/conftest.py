"""Fixtures for the LA workspace: incidents through the police API (or intake at a chosen time), signed-in officers."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

BRIMINGTON_JUNIOR = "112517"  # open Derbyshire (830) junior school, ages 7-11
ASHOVER_PRIMARY = "112501"  # open Derbyshire (830) primary school
AMBIGUOUS_NAME = "St Joseph's Catholic Primary"  # three Derbyshire/Derby settings match equally


def dob(age: int) -> str:
    today = date.today()
    return date(today.year - age, 1, 15).isoformat() if today.month > 1 else date(today.year - age - 1, 6, 15).isoformat()


def child_entry(reference: str = "C1", **overrides) -> dict:
    entry = {
        "child_reference": reference, "given_name": "Ellie", "family_name": "Brookes", "date_of_birth": dob(9),
        "education_status": "missing_education", "home_la_code": "830",
    }
    entry.update(overrides)
    return entry


def incident_body(*children: dict, reference: str | None = None, occurred_at: datetime | None = None) -> dict:
    return {
        "police_reference": reference or f"DC-{uuid.uuid4().hex[:8]}",
        "occurred_at": (occurred_at or datetime.now(UTC) - timedelta(hours=8)).isoformat(),
        "risk_level": "medium", "summary": "Argument between adults; police attended.",
        "children": list(children) or [child_entry()],
    }


@pytest.fixture
def child():
    return child_entry


@pytest.fixture
def post_incident(client, police_key, other_force_key, db):
    """post_incident(*children, force="derbyshire"|"nottinghamshire") -> the notifications as the police API answered."""

    def post(*children: dict, force: str = "derbyshire", **options) -> list[dict]:
        key = police_key if force == "derbyshire" else other_force_key
        response = client.post("/api/v1/incidents", json=incident_body(*children, **options),
                               headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 201, response.text
        db.expire_all()
        return response.json()["notifications"]

    return post


@pytest.fixture
def receive_at(db, forces):
    """receive_at(received_at, occurred_at, *children) -> notification ids: intake at a chosen moment, for timed figures."""
    from service.notifications.intake import receive_incident
    from service.notifications.schemas import IncidentSubmission
    from service.police.service import AuthenticatedClient, create_client

    issued = create_client(db, force_id="derbyshire", name="Timed test system")
    db.commit()
    police = AuthenticatedClient(client_id=issued.client_id, force_id="derbyshire", scopes=frozenset({"incidents:write"}))

    def receive(received_at: datetime, occurred_at: datetime, *children: dict) -> list[str]:
        submission = IncidentSubmission.model_validate(incident_body(*children, occurred_at=occurred_at))
        result = receive_incident(db, client=police, submission=submission, idempotency_key=None, now=received_at)
        db.commit()
        return [n["id"] for n in result.body["notifications"]]

    return receive


@pytest.fixture
def officer(make_user):
    """officer("830", name=...) -> an active LA officer of those LAs."""

    def make(*la_codes: str, name: str = "Officer") -> object:
        return make_user("la_officer", la_codes=la_codes or ("830",), display_name=name)

    return make


@pytest.fixture
def as_officer(officer):
    """A workspace Officer (service layer, no HTTP) with its user."""
    from service.laworkspace.service import Officer

    def make(*la_codes: str, name: str = "Officer"):
        user = officer(*la_codes, name=name)
        return Officer(id=user.id, la_codes=frozenset(la_codes or ("830",))), user

    return make


@pytest.fixture
def officer_client(client, officer, sign_in):
    """officer_client("830") -> (client signed in as a new officer of that LA, the user)."""

    def make(*la_codes: str, name: str = "Officer"):
        user = officer(*la_codes, name=name)
        sign_in(client, user)
        return client, user

    return make


@pytest.fixture
def form_token():
    """form_token(page, form_id) -> the CSRF token inside that form."""
    from bs4 import BeautifulSoup

    def token(response, form_id: str) -> str:
        form = BeautifulSoup(response.text, "html.parser").find("form", id=form_id)
        assert form is not None, f"no form #{form_id}"
        return form.find("input", attrs={"name": "csrf_token"})["value"]

    return token
