"""Police staff of force A (Derbyshire) and force B (Nottinghamshire), signed in through the real pages."""

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def police_staff(db, forces, make_user):
    """police_staff("derbyshire") -> an active police staff user of that force."""
    from service.accounts.models import PoliceStaffMembership

    def make(force_id: str = "derbyshire", **options):
        user = make_user("police_staff", **options)
        db.add(PoliceStaffMembership(user_id=user.id, force_id=force_id))
        db.commit()
        return user

    return make


@pytest.fixture
def hub(app, police_staff, sign_in):
    """A browser signed in as force A's safeguarding hub staff."""
    user = police_staff("derbyshire")
    with TestClient(app, base_url="https://encompass.test") as browser:
        sign_in(browser, user)
        browser.user = user
        yield browser


@pytest.fixture
def other_hub(app, police_staff, sign_in):
    """A browser signed in as force B's staff."""
    user = police_staff("nottinghamshire")
    with TestClient(app, base_url="https://encompass.test") as browser:
        sign_in(browser, user)
        browser.user = user
        yield browser


def form_fields(html: str) -> dict[str, str]:
    """The values a browser would post from the page's first POST form (CSRF token included)."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(html, "html.parser").find("form", attrs={"method": "post"})
    posted = {}
    for field in form.find_all(["input", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "file"):
            continue
        if field.get("type") == "radio":
            if field.has_attr("checked"):
                posted[name] = field.get("value", "")
            continue
        posted[name] = field.get("value", "") if field.name == "input" else field.get_text()
    return posted
