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


def _set_deadline(db, notification_id: str, acknowledge_by: datetime) -> None:
    db.exec(sa.update(Notification).where(Notification.id == notification_id).values(acknowledge_by=acknowledge_by))
    db.commit()


def _cells(row) -> dict[str, str]:
    return {cell["data-label"]: text_of(cell) for cell in row.find_all(["th", "td"]) if cell.has_attr("data-label")}


def test_inbox_puts_overdue_first_then_the_nearest_deadline_then_high_risk_then_the_rest_newest_first(
        client, db, post_incident, key_adult, sign_in, csrf, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    now = datetime.now(UTC)
    done_first = post_incident(child_entry(given_name="Dana"))["C1"]["id"]
    done_later = post_incident(child_entry(given_name="Eli"))["C1"]["id"]
    later_high = post_incident(child_entry(given_name="Finn"), risk_level="high")["C1"]["id"]
    soon_standard = post_incident(child_entry(given_name="Gail"), risk_level="standard")["C1"]["id"]
    soon_high = post_incident(child_entry(given_name="Hana"), risk_level="high")["C1"]["id"]
    overdue = post_incident(child_entry(given_name="Ivy"), risk_level="standard")["C1"]["id"]  # received last of all
    for notification_id in (done_first, done_later):
        client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": csrf(notification_id)})
    soon = (now + timedelta(hours=2)).replace(microsecond=0)
    _set_deadline(db, overdue, now - timedelta(hours=3))
    _set_deadline(db, soon_standard, soon)
    _set_deadline(db, soon_high, soon)
    _set_deadline(db, later_high, now + timedelta(days=1))

    response = client.get("/notifications")
    check_page(response)
    assert _names(response) == ["Ivy Brookes", "Hana Brookes", "Gail Brookes", "Finn Brookes", "Eli Brookes", "Dana Brookes"]
    cells = {row["data-notification-id"]: _cells(row) for row in _rows(response)}
    assert cells[overdue]["Status"] == "Overdue"
    assert cells[soon_high]["Status"] == "New"
    assert cells[done_later]["Status"] == "Acknowledged"
    assert soup_of(response).find("strong", class_="govuk-tag", string="Overdue") is not None


def test_risk_is_a_tag_red_for_high_and_new_and_viewed_look_different(client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    high = post_incident(child_entry(given_name="Hana"), risk_level="high")["C1"]["id"]
    standard = post_incident(child_entry(given_name="Sid"), risk_level="standard")["C1"]["id"]
    client.get(f"/notifications/{standard}")  # opened: Viewed; the other stays New

    rows = {row["data-notification-id"]: row for row in _rows(client.get("/notifications"))}
    high_risk = rows[high].find("td", attrs={"data-label": "Risk"}).find("strong", class_="govuk-tag")
    standard_risk = rows[standard].find("td", attrs={"data-label": "Risk"}).find("strong", class_="govuk-tag")
    assert text_of(high_risk) == "High" and "govuk-tag--red" in high_risk["class"]
    assert text_of(standard_risk) == "Standard" and "govuk-tag--red" not in standard_risk["class"]
    new = rows[high].find("td", attrs={"data-label": "Status"}).find("strong", class_="govuk-tag")
    viewed = rows[standard].find("td", attrs={"data-label": "Status"}).find("strong", class_="govuk-tag")
    assert (text_of(new), text_of(viewed)) == ("New", "Viewed")
    assert set(new["class"]) != set(viewed["class"]), "New and Viewed have different colours as well as words"


def test_each_row_of_a_child_with_three_notifications_in_three_months_carries_the_flag(
        client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    now = datetime.now(UTC)
    oldest = post_incident(child_entry(), occurred_at=now - timedelta(days=70))["C1"]["id"]
    middle = post_incident(child_entry(), occurred_at=now - timedelta(days=30))["C1"]["id"]
    latest = post_incident(child_entry(), occurred_at=now - timedelta(hours=8))["C1"]["id"]
    other = post_incident(child_entry(given_name="Someone", family_name="Else"), occurred_at=now - timedelta(hours=8))["C1"]["id"]

    rows = {row["data-notification-id"]: row for row in _rows(client.get("/notifications"))}
    flag = rows[latest].find(class_="repeat-flag")
    assert flag is not None and text_of(flag) == "3 incidents in 3 months"
    # Counted up to each incident, as the notification page counts: the oldest and the middle had fewer then.
    assert rows[oldest].find(class_="repeat-flag") is None and rows[middle].find(class_="repeat-flag") is None
    assert rows[other].find(class_="repeat-flag") is None


def test_the_inbox_stacks_on_a_narrow_screen_with_every_cell_labelled(client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    post_incident()
    table = soup_of(client.get("/notifications")).find("table", id="inbox")
    assert "app-table--stacked" in table["class"]
    headings = [text_of(th) for th in table.thead.find_all("th")]
    [row] = table.tbody.find_all("tr")
    assert [cell["data-label"] for cell in row.find_all(["th", "td"])] == headings


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
        "Child", "Incident", "Risk", "Acknowledge by", "Status"]


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
