"""Where a Key Adult not reached shows: the LA's "not reached" list and the admin's outbox."""

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.alerts.receipts import issue_callback_token
from service.db import utcnow
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, child_entry
from tests.alerts.test_delivery_receipts import notify_receipt


@pytest.fixture
def failed_key_adult(db, client, onboard, post_incident, make_worker):
    """Brimington's Key Adult's address refused the email about a notification; Ashover's was delivered."""
    key_adult = onboard(BRIMINGTON_JUNIOR, email="old.dsl@brimington.example.sch.uk")
    onboard(ASHOVER_PRIMARY, email="dsl@ashover.example.sch.uk")
    failed, delivered = post_incident(child_entry("C1"), child_entry("C2", urn=ASHOVER_PRIMARY))
    make_worker().run_once()
    token = issue_callback_token(db, now=utcnow())
    db.commit()
    db.expire_all()
    emails = {m.audience_ref: m for m in db.exec(select(OutboxMessage).where(OutboxMessage.audience == "user"))}
    headers = {"Authorization": f"Bearer {token}"}
    for user_ref, status in ((str(key_adult.id), "permanent-failure"),):
        assert client.post("/api/notify/delivery-receipts", json=notify_receipt(emails[user_ref].id, status),
                           headers=headers).status_code == 204
    others = [m for ref, m in emails.items() if ref != str(key_adult.id)]
    for message in others:
        client.post("/api/notify/delivery-receipts", json=notify_receipt(message.id, "delivered"), headers=headers)
    return {"failed": failed, "delivered": delivered, "message": emails[str(key_adult.id)]}


def test_the_la_lists_the_key_adult_it_could_not_reach(client, make_user, sign_in, check_page, failed_key_adult):
    sign_in(client, make_user("la_officer", la_codes=["830"]))
    home = client.get("/la")
    assert check_page(home).find("a", href="/la/not-reached")
    soup = check_page(client.get("/la/not-reached"))
    rows = soup.select("#not-reached-table tbody tr")
    assert len(rows) == 1
    cells = {td["data-label"]: td.get_text(" ", strip=True) for td in rows[0].find_all("td")}
    assert cells["Key Adult's email"] == "old.dsl@brimington.example.sch.uk"
    assert "URN 112517" in cells["Setting"] and "Not acknowledged" in cells["Notification"]
    assert rows[0].find("a")["href"] == f"/la/notifications/{failed_key_adult['failed']['id']}"
    assert "Ellie" not in soup.get_text()  # the list names the setting and the address, not the child


def test_another_las_officer_sees_nothing_of_it(client, make_user, sign_in, check_page, failed_key_adult):
    sign_in(client, make_user("la_officer", la_codes=["831"]))
    soup = check_page(client.get("/la/not-reached"))
    assert soup.find(id="not-reached-table") is None and soup.find(id="none-not-reached")


def test_the_admin_outbox_shows_what_notify_said(client, make_user, sign_in, check_page, failed_key_adult):
    sign_in(client, make_user("admin"))
    soup = check_page(client.get("/admin/outbox"))
    rows = soup.select("#not-delivered tbody tr")
    assert [row["id"] for row in rows] == [f"not-delivered-{failed_key_adult['message'].id}"]
    cells = {td["data-label"]: td.get_text(" ", strip=True) for td in rows[0].find_all("td")}
    assert cells["What Notify said"] == "Address does not exist or refuses email"
    assert "old.dsl" not in soup.get_text()  # the admin page names accounts by id, never by address
