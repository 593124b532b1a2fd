"""The holiday cover queue: an officer finds a closed setting's notification, acknowledges it and records an outcome."""

import pytest
from sqlmodel import select

from service.audit.models import AuditEvent
from service.notifications.models import Notification
from tests.school_holidays import close_schools_for_holiday
from tests.laworkspace.conftest import BRIMINGTON_JUNIOR, child_entry


@pytest.fixture
def covered(db, forces, onboard, post_incident):
    """A notification for Brimington Junior (830) while it is closed for a holiday Derbyshire's cover team works."""
    close_schools_for_holiday(db, "830", cover=True)
    onboard(BRIMINGTON_JUNIOR)
    [sent] = post_incident(child_entry("C1", given_name="Holly", education_status="attends_setting",
                                       setting_urn=BRIMINGTON_JUNIOR))
    return sent["id"]


def test_officer_finds_acknowledges_and_clears_a_holiday_cover_notification(
    covered, officer_client, form_token, check_page, db
):
    client, _ = officer_client("830")
    home = check_page(client.get("/la"))
    counts = {row.find("a").get_text(strip=True): row.find_all("td")[-1].get_text(strip=True)
              for row in home.select("#queue-counts tbody tr")}
    assert counts["Holiday cover: setting closed"] == "1"

    queue = check_page(client.get("/la/queues/holiday_cover"))
    [row] = queue.select("#queue-items tr.queue-item")
    assert row.find("a")["href"] == f"/la/notifications/{covered}" and "Holly" in row.get_text()
    # Why it is here, not how police's details were routed (by URN, to a school that has a Key Adult).
    assert row.select_one(".why-headline").get_text(strip=True) == "Setting closed for the school holiday"

    page = client.get(f"/la/notifications/{covered}")
    soup = check_page(page)
    assert "holiday cover team acknowledges" in soup.find(id="holiday-cover").get_text()
    page = client.post(f"/la/notifications/{covered}/acknowledge", data={"csrf_token": form_token(page, "acknowledge-form")})
    assert page.status_code == 200 and "Notification acknowledged." in page.text
    db.expire_all()
    stored = db.get(Notification, covered)
    assert (stored.status, stored.recipient_urn) == ("acknowledged", BRIMINGTON_JUNIOR)
    assert stored.acknowledged_at is not None
    [audited] = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.acknowledged",
                                                AuditEvent.object_id == covered)).all()
    assert audited.detail["holiday_cover"] is True

    soup = check_page(client.post(f"/la/notifications/{covered}/outcome", data={
        "csrf_token": form_token(page, "outcome-form"), "outcome": "other",
        "outcome-note": "Cover team checked with social care; school told for its return.", "outcome-close": "yes"}))
    assert "left the queue" in soup.get_text()
    assert "Taken out of the holiday cover queue" in soup.get_text()
    db.expire_all()
    stored = db.get(Notification, covered)
    # The LA's cover work is done; the school still holds the notification for when it reopens.
    assert (stored.la_queue, stored.closed_at, stored.recipient_urn) == (None, None, BRIMINGTON_JUNIOR)
    assert not check_page(client.get("/la/queues/holiday_cover")).select("tr.queue-item")


def test_another_las_officer_cannot_see_or_acknowledge_a_holiday_cover_notification(
    covered, officer_client, form_token, check_page, db
):
    client, _ = officer_client("891")
    token = form_token(client.get("/la/authorities/891/configuration"), "configuration-form")
    assert client.get(f"/la/notifications/{covered}").status_code == 404
    assert client.post(f"/la/notifications/{covered}/acknowledge", data={"csrf_token": token}).status_code == 404
    assert not check_page(client.get("/la/queues/holiday_cover")).select("tr.queue-item")
    db.expire_all()
    assert db.get(Notification, covered).acknowledged_at is None
