"""Fixtures for the LA workspace: incidents through the police API (or intake at a chosen time), signed-in officers."""

from datetime import datetime

import pytest

from tests import builders
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR  # noqa: F401  the schools the workspace tests name
from tests.builders import incident_body

AMBIGUOUS_NAME = "St Joseph's Catholic Primary"  # three Derbyshire/Derby settings match equally


def child_entry(reference: str = "C1", **overrides) -> dict:
    """A child the LA itself must place: missing education and no setting named, unless the test says otherwise."""
    return builders.child_entry(reference, **{"education_status": "missing_education", "urn": None, **overrides})


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
    from service.laworkspace.officer import Officer

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
