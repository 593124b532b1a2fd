"""Fixtures for the Key Adult's pages: settings in Derbyshire, incidents posted through the police API, signed-in staff."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

BRIMINGTON_JUNIOR = "112517"  # setting A: open Derbyshire (830) junior school, ages 7-11
SWANWICK_PRIMARY = "112500"  # setting B: open Derbyshire primary, ages 4-11
ASHOVER_PRIMARY = "112501"  # setting C: open Derbyshire primary, ages 4-11


def dob(age: int) -> date:
    today = date.today()
    return date(today.year - age, 1, 15) if today.month > 1 else date(today.year - age - 1, 6, 15)


def child_entry(reference: str = "C1", *, urn: str = BRIMINGTON_JUNIOR, given_name: str = "Ellie",
                family_name: str = "Brookes", age: int = 9, **overrides) -> dict:
    entry = {
        "child_reference": reference, "given_name": given_name, "family_name": family_name,
        "date_of_birth": dob(age).isoformat(), "education_status": "attends_setting", "setting_urn": urn,
        "home_la_code": "830", "present_at_incident": True, "spoken_to": False,
    }
    entry.update(overrides)
    return entry


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text_of(element) -> str:
    return " ".join(element.get_text(" ", strip=True).split())


@pytest.fixture
def post_incident(client, police_key, db):
    """post_incident(*children, occurred_at=..., risk_level=..., reference=...) -> the API's notifications, by child_reference."""

    def post(*children: dict, reference: str | None = None, occurred_at: datetime | None = None,
             risk_level: str = "medium", summary: str = "Argument between adults in the kitchen; police attended.",
             police_actions: tuple[str, ...] = ("DASH risk assessment completed",)) -> dict[str, dict]:
        body = {
            "police_reference": reference or f"DC-{uuid.uuid4().hex[:8]}",
            "occurred_at": (occurred_at or datetime.now(UTC) - timedelta(hours=8)).isoformat(),
            "risk_level": risk_level, "summary": summary, "police_actions": list(police_actions),
            "children": list(children) or [child_entry()],
        }
        response = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"})
        assert response.status_code in (200, 201), response.text
        db.expire_all()
        return {n["child_reference"]: n for n in response.json()["notifications"]}

    return post


@pytest.fixture
def key_adult(make_user):
    """key_adult(*urns, role="key_adult") -> a setting staff member of those settings."""

    def make(*urns: str, role: str = "key_adult", display_name: str = "Sam Key Adult"):
        return make_user("setting_staff", urns=urns, role=role, display_name=display_name)

    return make


@pytest.fixture
def csrf(client):
    """csrf(notification_id) -> the signed-in browser's CSRF token, read from a page with a form."""

    def token(notification_id: str) -> str:
        page = client.get(f"/notifications/{notification_id}")
        field = soup_of(page).find("input", attrs={"name": "csrf_token"})
        assert field is not None, page.text[:300]
        return field["value"]

    return token
