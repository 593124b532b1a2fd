"""Fixtures for the Key Adult's pages: settings in Derbyshire, incidents posted through the police API, signed-in staff."""

import pytest
from bs4 import BeautifulSoup

from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, SWANWICK_PRIMARY  # noqa: F401  setting A, B and C


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text_of(element) -> str:
    return " ".join(element.get_text(" ", strip=True).split())


@pytest.fixture
def post_incident(post_incident):
    """post_incident(*children, **incident options) -> the API's notifications by child_reference, as a Key Adult looks
    for one child's notification."""

    def post(*children: dict, **options) -> dict[str, dict]:
        return {n["child_reference"]: n for n in post_incident(*children, **options)}

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
