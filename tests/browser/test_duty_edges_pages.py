"""The pages police withdrawals and Notify receipts add, in real Chromium at 1280 px and 320 px: no WCAG 2.2 A/AA
failure (axe), nothing wider than the screen, and what each reader must see."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.conftest import assert_no_axe_violations, watch
from tests.builders import BRIMINGTON_JUNIOR, child_entry, incident_body

pytestmark = pytest.mark.browser
WIDTHS = (1280, 320)
SHOTS = os.environ.get("SCREENSHOT_DIR")  # set it to keep a PNG of each page


@pytest.fixture(scope="module")
def duty_edges(engine, portal_world):
    """A notification police withdrew, and one whose Key Adult's address Notify could not deliver to."""
    from sqlmodel import Session, select

    from service.accounts.models import User
    from service.alerts.models import OutboxMessage
    from service.notifications.intake import receive_incident
    from service.notifications.schemas import IncidentSubmission, WithdrawalRequest
    from service.notifications.withdrawal import withdraw_incident
    from service.police.service import AuthenticatedClient, create_client

    with Session(engine, expire_on_commit=False) as session:
        issued = create_client(session, force_id="derbyshire", name="Duty edges browser test")
        police = AuthenticatedClient(client_id=issued.client_id, force_id="derbyshire",
                                     scopes=frozenset({"incidents:write", "notifications:read"}))
        now = datetime.now(UTC)

        def receive(given_name: str) -> dict:
            body = incident_body(child_entry("C1", given_name=given_name, family_name="Withers", urn=BRIMINGTON_JUNIOR),
                                 occurred_at=now - timedelta(hours=8))
            return receive_incident(session, client=police, submission=IncidentSubmission.model_validate(body),
                                    idempotency_key=None, now=now).body

        withdrawn = receive("Poppy")
        withdraw_incident(session, client=police, incident_id=withdrawn["incident_id"],
                          request=WithdrawalRequest(reason="wrong_child"), now=now)
        not_reached = receive("Alfie")["notifications"][0]["id"]
        key_adult = session.exec(select(User).where(User.email == portal_world.key_adult.email)).one()
        session.add(OutboxMessage(template="notification_waiting", audience="user", audience_ref=str(key_adult.id),
                                  link=f"https://encompass.test/notifications/{not_reached}", notification_id=not_reached,
                                  state="sent", attempts=1, sent_at=now, provider_id=str(uuid.uuid4()),
                                  receipt_status="permanent-failure", receipt_at=now))
        session.commit()
    return {"withdrawn": withdrawn["notifications"][0]["id"], "not_reached": not_reached}


def _check(context, path: str, heading: str, width: int, name: str, *, fits: str = "html"):
    """`fits`: what must be no wider than the screen (the admin outbox's older tables are another piece of work)."""
    page = context.new_page()
    try:
        page.set_viewport_size({"width": width, "height": 900})
        problems = watch(page)
        page.goto(path)
        assert page.inner_text("h1").startswith(heading), page.inner_text("h1")
        assert_no_axe_violations(page)
        wide = page.evaluate("selector => document.querySelector(selector).scrollWidth", fits)
        assert wide <= width, f"{fits} on {path} is {wide}px wide at {width}px"
        problems.assert_none()
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        return page.inner_text("main")
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_withdrawn_by_police_shows_no_child_data(signed_in, duty_edges, width):
    text = _check(signed_in("key_adult"), f"/notifications/{duty_edges['withdrawn']}", "Withdrawn by police", width,
                  "withdrawn")
    assert "Poppy" not in text and "Withers" not in text
    assert "You do not need to do anything" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_the_la_sees_the_key_adult_not_reached(signed_in, duty_edges, portal_world, width):
    text = _check(signed_in("officer"), "/la/not-reached", "Key Adults we could not reach", width, "la-not-reached")
    assert portal_world.key_adult.email in text and "Brimington" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_sees_the_email_notify_could_not_deliver(signed_in, duty_edges, width):
    text = _check(signed_in("admin"), "/admin/outbox", "Failed alerts", width, "admin-outbox", fits="#not-delivered")
    assert "Address does not exist or refuses email" in text
