"""The inbox: the user's settings' notifications, waiting ones first, overdue ones marked, paginated and filtered."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from service.notifications.models import Notification
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, child_entry
from tests.keyadult.conftest import soup_of, text_of


def _rows(response):
    table = soup_of(response).find("table", id="inbox")
    return [] if table is None else table.find("tbody").find_all("tr")


def _names(response) -> list[str]:
    return [row.find("th").find("a").contents[0].strip() for row in _rows(response)]


def _make_overdue(db, notification_id: str) -> None:
    db.exec(sa.update(Notification).where(Notification.id == notification_id)
            .values(acknowledge_by=datetime.now(UTC) - timedelta(hours=3)))
    db.commit()


def test_inbox_lists_waiting_notifications_first_then_newest_with_overdue_marked_in_words(
        client, db, post_incident, key_adult, sign_in, csrf, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    oldest = post_incident(child_entry(given_name="Amy"))["C1"]["id"]
    middle = post_incident(child_entry(given_name="Ben"))["C1"]["id"]
    newest = post_incident(child_entry(given_name="Cara"))["C1"]["id"]
    client.post(f"/notifications/{newest}/acknowledge", data={"csrf_token": csrf(newest)})
    _make_overdue(db, oldest)

    response = client.get("/notifications")
    check_page(response)
    assert _names(response) == ["Ben Brookes", "Amy Brookes", "Cara Brookes"]
    statuses = {row["data-notification-id"]: text_of(row.find_all("td")[-1]) for row in _rows(response)}
    assert statuses[oldest] == "Overdue"
    assert statuses[middle] == "New"
    assert statuses[newest] == "Acknowledged"
    assert soup_of(response).find("strong", class_="govuk-tag", string="Overdue") is not None


def test_inbox_is_paginated_25_to_a_page(client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    post_incident(*[child_entry(f"C{i}", given_name=f"Child{i:02d}") for i in range(20)])
    post_incident(*[child_entry(f"D{i}", given_name=f"Other{i:02d}") for i in range(10)])

    first = client.get("/notifications")
    assert len(_rows(first)) == 25
    pagination = soup_of(first).find("nav", class_="govuk-pagination")
    assert pagination is not None
    next_link = pagination.find("a", rel="next")
    assert next_link["href"] == "/notifications?page=2"
    assert "Page 1 of 2" in text_of(soup_of(first).find("caption"))

    second = client.get(next_link["href"])
    assert len(_rows(second)) == 5
    assert set(_names(first)).isdisjoint(_names(second))
    assert soup_of(second).find("nav", class_="govuk-pagination").find("a", rel="prev")["href"] == "/notifications"


def test_status_filter_shows_only_matching_notifications_and_keeps_the_choice(
        client, db, post_incident, key_adult, sign_in, csrf):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    late = post_incident(child_entry(given_name="Late"))["C1"]["id"]
    done = post_incident(child_entry(given_name="Done"))["C1"]["id"]
    post_incident(child_entry(given_name="Fresh"))
    _make_overdue(db, late)
    client.post(f"/notifications/{done}/acknowledge", data={"csrf_token": csrf(done)})

    assert _names(client.get("/notifications?status=overdue")) == ["Late Brookes"]
    assert _names(client.get("/notifications?status=acknowledged")) == ["Done Brookes"]
    assert sorted(_names(client.get("/notifications?status=waiting"))) == ["Fresh Brookes", "Late Brookes"]
    closed = client.get("/notifications?status=closed")
    assert _names(closed) == [] and soup_of(closed).find(id="no-notifications") is not None
    selected = soup_of(client.get("/notifications?status=overdue")).find("select", id="status").find("option", selected=True)
    assert selected["value"] == "overdue"
    # A made-up filter value shows everything rather than an error.
    assert len(_names(client.get("/notifications?status=nonsense&page=abc"))) == 3


def test_a_user_of_several_settings_can_filter_by_setting_and_sees_the_setting_on_each_row(
        client, post_incident, key_adult, sign_in, check_page):
    key_adult(BRIMINGTON_JUNIOR)  # a setting receives notifications only once it has a Key Adult; deputies alone do not count
    key_adult(ASHOVER_PRIMARY)
    sign_in(client, key_adult(BRIMINGTON_JUNIOR, ASHOVER_PRIMARY, role="deputy"))
    post_incident(child_entry(given_name="Amy"))
    post_incident(child_entry(given_name="Ben", urn=ASHOVER_PRIMARY))

    response = check_page(client.get("/notifications"))
    rows = response.find("table", id="inbox").tbody.find_all("tr")
    settings = {row.find("a").contents[0].strip(): text_of(row.find_all("td")[0]) for row in rows}
    assert settings == {"Amy Brookes": "Brimington Junior School", "Ben Brookes": "Ashover Primary School"}
    options = {o["value"]: o.get_text(strip=True) for o in response.find("select", id="setting").find_all("option")}
    assert options == {"": "All your settings", ASHOVER_PRIMARY: "Ashover Primary School", BRIMINGTON_JUNIOR: "Brimington Junior School"}
    assert _names(client.get(f"/notifications?setting={ASHOVER_PRIMARY}")) == ["Ben Brookes"]


def test_a_user_of_one_setting_gets_no_setting_filter(client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    post_incident()
    page = soup_of(client.get("/notifications"))
    assert page.find("select", id="setting") is None
    assert [th.get_text(strip=True) for th in page.find("table", id="inbox").thead.find_all("th")] == [
        "Child", "Incident", "Risk level", "Acknowledge by", "Status"]


def test_a_corrected_notification_shows_once_in_the_inbox(client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    post_incident(child_entry(), reference="DC-CORRECTED-1", risk_level="medium")
    newer = post_incident(child_entry(), reference="DC-CORRECTED-1", risk_level="high")["C1"]["id"]
    rows = _rows(client.get("/notifications"))
    assert [row["data-notification-id"] for row in rows] == [newer]
    assert text_of(rows[0].find_all("td")[1]) == "High"


def test_inbox_needs_a_signed_in_setting_user(client, make_user, sign_in):
    response = client.get("/notifications", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    sign_in(client, make_user("la_officer", la_codes=["830"]))
    assert client.get("/notifications").status_code == 404
