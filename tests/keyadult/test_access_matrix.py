"""Least access: a setting's notifications are invisible, by every URL, to staff of any other setting."""

import uuid

import pytest
from sqlmodel import select

from service.audit.models import AuditEvent
from service.notifications.models import Notification, NotificationAction
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, child_entry
from tests.keyadult.conftest import soup_of, text_of

SETTING_A, SETTING_B, SETTING_C = BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, ASHOVER_PRIMARY


def _every_url(notification_id: str, token: str) -> list[tuple[str, str, dict | None]]:
    base = f"/notifications/{notification_id}"
    urls = [("GET", base, None), ("GET", f"{base}/print", None),
            ("POST", f"{base}/acknowledge", {"csrf_token": token}), ("POST", f"{base}/close", {"csrf_token": token}),
            ("GET", f"{base}/not-on-roll", None), ("POST", f"{base}/not-on-roll", {"csrf_token": token, "reason": "Not ours"})]
    for action in ("observed_no_concerns", "support_in_school", "early_help", "social_care_referral",
                   "helpline_consulted", "not_on_roll", "other"):
        urls.append(("POST", f"{base}/actions", {"csrf_token": token, "action": action, "note": "Note"}))
    return urls


@pytest.fixture
def three_settings(key_adult, post_incident):
    """Each of A, B and C with its own Key Adult and one notification; returns {urn: (key adult, notification id)}."""
    found = {}
    for urn, name in ((SETTING_A, "Amy"), (SETTING_B, "Ben"), (SETTING_C, "Cara")):
        user = key_adult(urn)
        found[urn] = (user, post_incident(child_entry(urn=urn, given_name=name))["C1"]["id"])
    return found


def test_a_user_of_setting_a_gets_404_for_every_url_of_setting_bs_notification(client, db, three_settings, sign_in):
    user_a, own = three_settings[SETTING_A]
    _, theirs = three_settings[SETTING_B]
    sign_in(client, user_a)
    token = soup_of(client.get(f"/notifications/{own}")).find("input", attrs={"name": "csrf_token"})["value"]
    unknown_page = client.get(f"/notifications/{uuid.uuid4()}")
    assert unknown_page.status_code == 404

    for method, url, form in _every_url(theirs, token):
        response = client.request(method, url, data=form, follow_redirects=False)
        assert response.status_code == 404, (method, url, form)
        assert text_of(soup_of(response).find("h1")) == text_of(soup_of(unknown_page).find("h1")) == "Page not found"
        assert "Ben" not in response.text

    db.expire_all()
    untouched = db.get(Notification, theirs)
    assert untouched.recipient_urn == SETTING_B and untouched.first_viewed_at is None and untouched.acknowledged_at is None
    assert db.exec(select(NotificationAction).where(NotificationAction.notification_id == theirs)).all() == []
    # The only trace of the attempts is the record that they were refused.
    actions = {e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == theirs,
                                                                  AuditEvent.actor_type == "user"))}
    assert actions == {"access.denied"}


def test_the_same_urls_work_for_the_owning_setting(client, three_settings, sign_in):
    """The matrix above proves nothing unless the owner gets real answers from the same URLs."""
    user_b, theirs = three_settings[SETTING_B]
    sign_in(client, user_b)
    token = soup_of(client.get(f"/notifications/{theirs}")).find("input", attrs={"name": "csrf_token"})["value"]
    for method, url, form in _every_url(theirs, token)[:3]:
        assert client.request(method, url, data=form, follow_redirects=False).status_code in (200, 303), url


def test_a_deputy_of_a_and_c_sees_exactly_their_notifications(client, key_adult, three_settings, sign_in):
    deputy = key_adult(SETTING_A, SETTING_C, role="deputy")
    sign_in(client, deputy)
    inbox = soup_of(client.get("/notifications")).find("table", id="inbox")
    shown = {row["data-notification-id"] for row in inbox.tbody.find_all("tr")}
    assert shown == {three_settings[SETTING_A][1], three_settings[SETTING_C][1]}
    for urn in (SETTING_A, SETTING_C):
        assert client.get(f"/notifications/{three_settings[urn][1]}").status_code == 200
    assert client.get(f"/notifications/{three_settings[SETTING_B][1]}").status_code == 404
    assert client.get(f"/notifications?setting={SETTING_B}").status_code == 200
    assert {row["data-notification-id"] for row in
            soup_of(client.get(f"/notifications?setting={SETTING_B}")).find("table", id="inbox").tbody.find_all("tr")} == shown, \
        "asking for another setting's filter shows the deputy's own notifications, never B's"
