"""Least access: an officer of LA 830 can neither see nor act on anything of LA 891, on any page or export."""

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.notifications.models import Notification
from tests.laworkspace.conftest import child_entry

NOTTINGHAM_NAME = "Peregrine Vantablack"


@pytest.fixture
def nottingham_items(post_incident):
    """One child in each kind of Nottinghamshire queue, posted by Nottinghamshire Police."""
    given, family = NOTTINGHAM_NAME.split()
    sent = post_incident(
        child_entry("C1", given_name=given, family_name=family, education_status="missing_education", home_la_code="891"),
        child_entry("C2", given_name=given, family_name=family, education_status="attends_setting",
                    setting_name="St Joseph's Catholic Primary", home_la_code="891"),
        force="nottinghamshire",
    )
    return [n["id"] for n in sent]


ITEM_ACTIONS = [
    ("assign", {"assigned-officer": ""}),
    ("reroute", {"target": "la", "reroute-la-code": "830", "reroute-la-reason": "Mine now"}),
    ("reroute", {"target": "setting", "reroute-setting-urn": "112501", "reroute-setting-reason": "Mine now"}),
    ("acknowledge", {}),
    ("outcome", {"outcome": "no_further_action", "outcome-note": "", "outcome-close": "yes"}),
]


def test_every_item_url_and_action_of_another_la_is_not_found(nottingham_items, officer_client, form_token, db):
    client, _ = officer_client("830")
    token = form_token(client.get("/la/authorities/830/configuration"), "configuration-form")
    for notification_id in nottingham_items:
        assert client.get(f"/la/notifications/{notification_id}").status_code == 404
        for action, fields in ITEM_ACTIONS:
            response = client.post(f"/la/notifications/{notification_id}/{action}", data={"csrf_token": token, **fields})
            assert response.status_code == 404, (action, response.status_code)
            assert NOTTINGHAM_NAME.split()[1] not in response.text
    db.expire_all()
    for notification_id in nottingham_items:
        n = db.get(Notification, notification_id)
        assert (n.recipient_la_code, n.status, n.acknowledged_at) == ("891", "received", None)
    assert not db.exec(select(OutboxMessage).where(OutboxMessage.audience_ref == "830")).first()


def test_another_las_items_never_appear_in_queues_dashboard_or_csv(nottingham_items, officer_client, check_page):
    client, _ = officer_client("830")
    surname = NOTTINGHAM_NAME.split()[1]
    home = check_page(client.get("/la"))
    assert all(row.td.get_text(strip=True) == "0" for row in home.select("#queue-counts tbody tr"))
    for queue in ("not_in_school", "to_resolve", "not_onboarded", "sent_back", "escalated"):
        page = client.get(f"/la/queues/{queue}", params={"la_code": "891"})  # asking for another LA is ignored
        assert page.status_code == 200 and surname not in page.text
        assert not check_page(page).select("tr.queue-item")
    dashboard = check_page(client.get("/la/dashboard"))
    assert dashboard.find(id="figure-total").td.get_text(strip=True) == "0"
    assert "891" not in client.get("/la/dashboard.csv").text.split("local authorities,")[1].splitlines()[0]
    assert client.get("/la/authorities/891/configuration").status_code == 404


def test_the_las_own_officer_does_see_them(nottingham_items, officer_client, check_page):
    client, _ = officer_client("891")
    soup = check_page(client.get("/la/queues/not_in_school"))
    assert NOTTINGHAM_NAME in soup.get_text()
    assert client.get(f"/la/notifications/{nottingham_items[0]}").status_code == 200


def test_people_who_are_not_officers_cannot_open_the_workspace(make_user, client, sign_in, post_incident):
    [sent] = post_incident(child_entry("C1"))
    sign_in(client, make_user("setting_staff", urns=("112517",)))
    assert client.get("/la").status_code == 404
    assert client.get(f"/la/notifications/{sent['id']}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/la/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
