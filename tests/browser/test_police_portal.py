"""Police staff's pages in real Chromium: no WCAG 2.2 A/AA failure (axe) and no sideways scrolling, at 1280 and 320 px,
through the dashboard, the notification form (with errors), its confirmation, and an upload from file to summary."""

import os
import uuid
from pathlib import Path

import pyotp
import pytest

from tests.browser.conftest import PASSWORD, Account, assert_no_axe_violations, sign_in, watch
from tests.builders import BRIMINGTON_JUNIOR, dob

pytestmark = pytest.mark.browser
WIDTHS = (1280, 320)
# Set to a folder to keep a screenshot of each page (for reviewing the pages by eye); unset in CI.
SHOTS = os.environ.get("POLICE_PORTAL_SHOTS")


@pytest.fixture(scope="module")
def hub_account(portal_world, engine) -> Account:
    """Derbyshire safeguarding hub staff, committed for the server; emptied with the rest of the browser world."""
    from sqlmodel import Session

    from service.accounts.models import PoliceStaffMembership, User
    from service.accounts.passwords import hash_password
    from service.accounts.service import sealed_totp_secret

    secret = pyotp.random_base32()
    with Session(engine, expire_on_commit=False) as session:
        user = User(email=f"hub.{uuid.uuid4().hex[:6]}@derbyshire.police.example", display_name="Jordan Hub", kind="police_staff",
                    password_hash=hash_password(PASSWORD), totp_secret=sealed_totp_secret(secret))
        session.add(user)
        session.flush()
        session.add(PoliceStaffMembership(user_id=user.id, force_id="derbyshire"))
        session.commit()
    return Account(user.email, secret)


@pytest.fixture(scope="module")
def hub(browser, live_server, hub_account):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    sign_in(page, hub_account)
    yield page
    context.close()


def check_at_every_width(page, name: str, heading: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.locator("h1").inner_text().startswith(heading), page.locator("h1").inner_text()
        assert_no_axe_violations(page)
        sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert sideways <= 0, f"{name} scrolls sideways by {sideways}px at {width}px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def extract_bytes(*rows: str) -> bytes:
    header = ("police_reference,occurred_at,risk_level,summary,police_actions,child_reference,given_name,family_name,"
              "date_of_birth,upn,home_la_code,home_postcode,education_status,setting_urn,setting_name,present_at_incident,"
              "spoken_to,child_voice")
    return ("\r\n".join((header, *rows)) + "\r\n").encode()


def test_the_dashboard_and_its_filters(hub):
    problems = watch(hub)
    hub.goto("/police")
    assert hub.locator("#notifications tbody tr").count() >= 1
    check_at_every_width(hub, "dashboard", "Your force's notifications")
    hub.check("#show-2")  # past its deadline
    with hub.expect_navigation():
        hub.get_by_role("button", name="Show notifications").click()
    assert "show=past_deadline" in hub.url
    check_at_every_width(hub, "dashboard-filtered", "Your force's notifications")
    problems.assert_none()


def test_the_form_with_errors_then_sent_and_confirmed(hub):
    problems = watch(hub)
    hub.goto("/police/incidents/new")
    check_at_every_width(hub, "form", "Send a notification")
    with hub.expect_navigation():
        hub.get_by_role("button", name="Send notification").click()
    assert hub.title().startswith("Error:")
    check_at_every_width(hub, "form-errors", "Send a notification")

    reference = f"DC-BROWSER-{uuid.uuid4().hex[:6]}-".ljust(64, "0")  # the longest police may give
    hub.fill("#police-reference", reference)
    born = dob(9).split("-")
    hub.fill("#occurred-day", "1")
    hub.fill("#occurred-month", "11")
    hub.fill("#occurred-year", "2026")
    hub.fill("#occurred-time", "21:40")
    hub.check("#risk-level-2")
    hub.fill("#summary", "Argument between adults; police attended.")
    hub.fill("#child-0-child-reference", "C1")
    hub.fill("#child-0-given-name", "Ellie")
    hub.fill("#child-0-family-name", "Brookes")
    hub.fill("#child-0-date-of-birth-day", born[2])
    hub.fill("#child-0-date-of-birth-month", born[1])
    hub.fill("#child-0-date-of-birth-year", born[0])
    hub.check("#child-0-education-status")  # attends a setting
    hub.fill("#child-0-setting-urn", BRIMINGTON_JUNIOR)
    with hub.expect_navigation():
        hub.get_by_role("button", name="Add another child").click()
    assert hub.locator("#child-1-given-name").count() == 1 and hub.input_value("#child-0-given-name") == "Ellie"
    hub.fill("#child-1-child-reference", "C2")
    hub.fill("#child-1-given-name", "Noah")
    hub.fill("#child-1-family-name", "Brookes")
    hub.fill("#child-1-date-of-birth-day", "10")
    hub.fill("#child-1-date-of-birth-month", "5")
    hub.fill("#child-1-date-of-birth-year", "2012")
    hub.check("#child-1-education-status-4")  # no school place
    hub.fill("#child-1-home-la-code", "830")
    with hub.expect_navigation():
        hub.get_by_role("button", name="Send notification").click()
    assert "/police/incidents/" in hub.url, hub.inner_text("main")[:800]
    assert hub.locator("#routes tbody tr").count() == 2
    check_at_every_width(hub, "confirmation", "Notification sent")

    # On the dashboard a reference that long wraps rather than taking the width the statuses need.
    hub.goto("/police")
    cell = hub.locator("#notifications tbody th", has_text=reference[:20]).first
    share = cell.evaluate("th => th.getBoundingClientRect().width / th.closest('table').getBoundingClientRect().width")
    assert share <= 0.3, f"the reference column takes {share:.0%} of the table at 1280px"
    check_at_every_width(hub, "dashboard-long-reference", "Your force's notifications")
    problems.assert_none()


def test_an_upload_from_file_to_summary(hub):
    problems = watch(hub)
    hub.goto("/police/upload")
    check_at_every_width(hub, "upload", "Upload an extract")
    hub.set_input_files("#file", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": extract_bytes(
        "DC-UP-1,2026-11-22 21:40,medium,=cmd,,C1,Ellie,Brookes,2017-03-04,,830,,attends_setting,,,,,",
        "DC-UP-1,2026-11-22 21:40,medium,=cmd,,C1,Noah,Brookes,31/02/2017,,830,,at school,,,,,")}])
    with hub.expect_navigation():
        hub.get_by_role("button", name="Check the file").click()
    assert hub.title().startswith("Error:") and hub.locator(".govuk-error-summary li").count() >= 2
    check_at_every_width(hub, "upload-errors", "Upload an extract")

    reference = f"DC-UP-{uuid.uuid4().hex[:6]}"
    hub.set_input_files("#file", files=[{"name": "extract.csv", "mimeType": "text/csv", "buffer": extract_bytes(
        f"{reference},2026-11-22 21:40,medium,Argument between adults.,DASH completed,C1,Ellie,Brookes,{dob(9)},,830,,attends_setting,{BRIMINGTON_JUNIOR},,yes,no,",
        f"{reference},2026-11-22 21:40,medium,Argument between adults.,DASH completed,C2,Noah,Brookes,{dob(14)},,830,,missing_education,,,,,")}])
    with hub.expect_navigation():
        hub.get_by_role("button", name="Check the file").click()
    check_at_every_width(hub, "preview", "Check before you send")
    with hub.expect_navigation():
        hub.locator("#confirm").click()
    for _ in range(20):  # the page refreshes itself until the background task is done
        if hub.locator("h1").inner_text() == "Upload finished":
            break
        hub.wait_for_timeout(500)
        hub.reload()
    check_at_every_width(hub, "upload-summary", "Upload finished")
    problems.assert_none()
