"""Acknowledging, recording actions, sending back, closing and printing: Post/Redirect/Get, errors, status, audit, police view."""

from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.notifications.models import Notification, NotificationAction, NotificationEvent
from tests.builders import child_entry
from tests.keyadult.conftest import BRIMINGTON_JUNIOR, soup_of, text_of


def _audit_actions(db, notification_id: str) -> list[str]:
    return [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == notification_id).order_by(AuditEvent.id))]


def _statuses(db, notification_id: str) -> list[str]:
    return [e.status for e in db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == notification_id)
                                      .order_by(NotificationEvent.id))]


def test_police_see_when_the_key_adult_viewed_and_acknowledged(client, db, police_key, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    police = {"Authorization": f"Bearer {police_key}"}
    before = client.get(f"/api/v1/notifications/{notification_id}", headers=police).json()
    assert before["first_viewed_at"] is None and before["acknowledged_at"] is None

    page = client.get(f"/notifications/{notification_id}")
    token = soup_of(page).find("form", id="acknowledge-form").find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/notifications/{notification_id}"

    after = client.get(f"/api/v1/notifications/{notification_id}", headers=police).json()
    assert after["status"] == "acknowledged"
    assert after["first_viewed_at"] is not None and after["acknowledged_at"] is not None
    assert after["first_viewed_at"] <= after["acknowledged_at"]


def test_acknowledging_once_records_it_and_the_page_then_offers_actions(client, db, post_incident, key_adult, sign_in, csrf, check_page):
    user = key_adult(BRIMINGTON_JUNIOR)
    sign_in(client, user)
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    first = soup_of(client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token}))
    # On a phone the form is screens below the banner: the banner links straight to it.
    banner = first.find(class_="govuk-notification-banner")
    assert text_of(banner).endswith("Notification acknowledged. Now record what you do")
    assert banner.find("a")["href"] == "#action-form" and first.find("form", id="action-form") is not None
    again = client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    assert "already acknowledged" in text_of(soup_of(again).find(class_="govuk-notification-banner"))

    db.expire_all()
    notification = db.get(Notification, notification_id)
    assert notification.status == "acknowledged" and notification.acknowledged_at is not None
    assert _statuses(db, notification_id) == ["received", "viewed", "acknowledged"]
    assert _audit_actions(db, notification_id).count("notification.acknowledged") == 1

    page = check_page(client.get(f"/notifications/{notification_id}"))
    assert page.find("form", id="acknowledge-form") is None
    assert page.find("form", id="action-form") is not None
    labels = [text_of(label) for label in page.find("form", id="action-form").find_all("label", class_="govuk-radios__label")]
    assert labels == ["Observed, no concerns", "Support in school", "Early help", "Referral to children's social care",
                      "Consulted the Operation Encompass helpline", "Other"]
    assert page.find("input", attrs={"name": "action", "value": "not_on_roll"}) is None, "sending back has its own page"
    assert page.find("a", id="not-on-roll-link")["href"] == f"/notifications/{notification_id}/not-on-roll"


def test_recording_an_action_redirects_and_shows_it_with_its_note(client, db, post_incident, key_adult, sign_in, csrf):
    user = key_adult(BRIMINGTON_JUNIOR, display_name="Jo Patel")
    sign_in(client, user)
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    response = client.post(f"/notifications/{notification_id}/actions", follow_redirects=False, data={
        "csrf_token": token, "action": "support_in_school", "note": "Class teacher checking in each morning."})
    assert response.status_code == 303 and response.headers["location"] == f"/notifications/{notification_id}"

    page = soup_of(client.get(response.headers["location"]))
    assert "Action recorded: Support in school." in text_of(page.find(class_="govuk-notification-banner"))
    row = page.find("table", id="recorded-actions").tbody.find("tr")
    assert text_of(row.find("th")) == "Support in school"
    assert text_of(row.find_all("td")[0]) == "Class teacher checking in each morning."
    assert text_of(row.find_all("td")[1]).endswith("by Jo Patel")
    [audit] = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.action_recorded")).all()
    assert audit.detail["recorded_action"] == "support_in_school"
    assert "checking" not in str(audit.detail), "notes are personal data and stay out of the audit trail"


def test_other_without_a_note_shows_the_error_summary_linking_to_the_note(client, db, post_incident, key_adult, sign_in, csrf, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    response = client.post(f"/notifications/{notification_id}/actions", data={"csrf_token": token, "action": "other", "note": " "})
    assert response.status_code == 400
    page = check_page(response)
    assert page.find("title").get_text().startswith("Error:")
    summary = page.find(class_="govuk-error-summary")
    link = summary.find("a", href="#note")
    assert text_of(link) == "Enter a note saying what you did"
    assert page.find(id="note") is not None and page.find(id="note-error") is not None
    assert page.find("input", attrs={"name": "action", "value": "other"}).has_attr("checked"), "the choice is kept"
    assert db.exec(select(NotificationAction)).all() == []


def test_choosing_nothing_links_the_error_to_the_first_option(client, post_incident, key_adult, sign_in, csrf):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    page = soup_of(client.post(f"/notifications/{notification_id}/actions", data={"csrf_token": token, "note": "x"}))
    assert page.find(class_="govuk-error-summary").find("a", href="#action") is not None
    assert page.find("input", id="action") is not None


def test_actions_before_acknowledging_are_refused(client, db, post_incident, key_adult, sign_in, csrf):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    page = soup_of(client.post(f"/notifications/{notification_id}/actions",
                               data={"csrf_token": csrf(notification_id), "action": "early_help", "note": ""}))
    assert page.find(class_="govuk-error-summary").find("a", href="#acknowledge") is not None
    assert page.find("button", id="acknowledge") is not None
    assert db.exec(select(NotificationAction)).all() == []


def test_a_post_without_the_csrf_token_is_refused(client, db, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    assert client.post(f"/notifications/{notification_id}/acknowledge", data={}).status_code == 400
    db.expire_all()
    assert db.get(Notification, notification_id).acknowledged_at is None


def test_not_on_our_roll_asks_first_naming_the_child_then_sends_it_back_and_the_setting_loses_sight_of_it(
        client, db, post_incident, key_adult, sign_in, csrf, check_page):
    user = key_adult(BRIMINGTON_JUNIOR)
    sign_in(client, user)
    notification_id = post_incident(child_entry(given_name="Poppy", family_name="Marsh"))["C1"]["id"]
    token = csrf(notification_id)
    # Straight from the unacknowledged page: a child who is not ours need not be acknowledged first.
    link = soup_of(client.get(f"/notifications/{notification_id}")).find("a", id="not-on-roll-link")
    confirm = check_page(client.get(link["href"]))
    assert text_of(confirm.find("h1")) == "Is Poppy Marsh not on your roll?"
    assert "Poppy" not in confirm.find("title").get_text(), "the child's name stays out of the browser history"
    assert confirm.find("textarea", id="reason") is not None
    assert confirm.find("a", id="cancel")["href"] == f"/notifications/{notification_id}"
    db.expire_all()
    assert db.get(Notification, notification_id).recipient_urn == BRIMINGTON_JUNIOR, "asking changes nothing"

    missing = client.post(f"/notifications/{notification_id}/not-on-roll", data={"csrf_token": token, "reason": "  "})
    assert missing.status_code == 400
    page = check_page(missing)
    assert page.find("title").get_text().startswith("Error:")
    assert text_of(page.find(class_="govuk-error-summary").find("a", href="#reason")) == "Enter why the child is not on your roll"
    assert page.find(id="reason-error") is not None and text_of(page.find("h1")) == "Is Poppy Marsh not on your roll?"
    db.expire_all()
    assert db.get(Notification, notification_id).recipient_urn == BRIMINGTON_JUNIOR

    response = client.post(f"/notifications/{notification_id}/not-on-roll", follow_redirects=False,
                           data={"csrf_token": token, "reason": "Left for another school in July."})
    assert response.status_code == 303 and response.headers["location"] == "/notifications"
    banner = text_of(soup_of(client.get("/notifications")).find(class_="govuk-notification-banner"))
    assert "Poppy Marsh has been sent back to the local authority" in banner

    db.expire_all()
    notification = db.get(Notification, notification_id)
    assert notification.recipient_urn is None
    assert (notification.la_queue, notification.status, notification.recipient_la_code) == ("sent_back", "rerouted", "830")
    assert _statuses(db, notification_id)[-1] == "rerouted"
    assert "notification.sent_back" in _audit_actions(db, notification_id)
    [reason] = db.exec(select(NotificationAction).where(NotificationAction.notification_id == notification_id)).all()
    assert (reason.action, reason.note, reason.for_la_code) == ("not_on_roll", "Left for another school in July.", "830")
    [alert] = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "local_authority")).all()
    assert (alert.audience_ref, alert.link) == ("830", f"https://encompass.test/la/notifications/{notification_id}")

    for url in (f"/notifications/{notification_id}", f"/notifications/{notification_id}/print",
                f"/notifications/{notification_id}/not-on-roll"):
        assert client.get(url).status_code == 404
    assert client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token}).status_code == 404
    assert soup_of(client.get("/notifications")).find("table", id="inbox") is None


def test_not_on_roll_is_not_a_way_round_the_confirmation_through_record_what_you_did(
        client, db, post_incident, key_adult, sign_in, csrf):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    response = client.post(f"/notifications/{notification_id}/actions",
                           data={"csrf_token": token, "action": "not_on_roll", "note": "Left in July."})
    assert response.status_code == 400
    assert soup_of(response).find(class_="govuk-error-summary").find("a", href="#action") is not None
    db.expire_all()
    assert db.get(Notification, notification_id).recipient_urn == BRIMINGTON_JUNIOR
    assert db.exec(select(NotificationAction)).all() == []


def test_a_closed_notification_cannot_be_sent_back(client, db, post_incident, key_adult, sign_in, csrf):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    client.post(f"/notifications/{notification_id}/actions", data={"csrf_token": token, "action": "observed_no_concerns", "note": ""})
    client.post(f"/notifications/{notification_id}/close", data={"csrf_token": token})

    assert soup_of(client.get(f"/notifications/{notification_id}")).find("a", id="not-on-roll-link") is None
    confirm = soup_of(client.get(f"/notifications/{notification_id}/not-on-roll"))
    assert confirm.find("form", id="not-on-roll-form") is None
    assert "closed, so it can no longer be sent back" in text_of(confirm.find(id="cannot-send-back"))
    refused = client.post(f"/notifications/{notification_id}/not-on-roll", data={"csrf_token": token, "reason": "Not ours."})
    assert refused.status_code == 400
    db.expire_all()
    notification = db.get(Notification, notification_id)
    assert (notification.recipient_urn, notification.status) == (BRIMINGTON_JUNIOR, "closed")


def test_closing_needs_an_action_then_closes_it(client, db, post_incident, key_adult, sign_in, csrf):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    refused = client.post(f"/notifications/{notification_id}/close", data={"csrf_token": token})
    assert refused.status_code == 400
    assert soup_of(refused).find(class_="govuk-error-summary").find("a", href="#close") is not None
    assert soup_of(refused).find("button", id="close") is not None
    # The reason is beside the button too, where someone who scrolled down to close it is looking.
    beside = soup_of(refused).find(id="close-error")
    assert "Record at least one thing you did" in text_of(beside)
    assert "close-error" in soup_of(refused).find("button", id="close")["aria-describedby"]
    assert beside.find_parent(class_="govuk-form-group--error").find("button", id="close") is not None

    client.post(f"/notifications/{notification_id}/actions", data={"csrf_token": token, "action": "observed_no_concerns", "note": ""})
    response = client.post(f"/notifications/{notification_id}/close", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    db.expire_all()
    notification = db.get(Notification, notification_id)
    assert notification.status == "closed" and notification.closed_at is not None
    assert "notification.closed" in _audit_actions(db, notification_id)
    page = soup_of(client.get(f"/notifications/{notification_id}"))
    assert text_of(page.find(id="status")) == "Closed" and page.find("form", id="close-form") is None
    assert _names_in_closed_filter(client) == [notification_id]


def _names_in_closed_filter(client) -> list[str]:
    table = soup_of(client.get("/notifications?status=closed")).find("table", id="inbox")
    return [row["data-notification-id"] for row in table.tbody.find_all("tr")]


def test_print_view_has_facts_actions_and_chronology_without_navigation_and_is_audited(
        client, db, post_incident, key_adult, sign_in, csrf, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident(reference="DC-PRINT-1")["C1"]["id"]
    token = csrf(notification_id)
    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    client.post(f"/notifications/{notification_id}/actions", data={"csrf_token": token, "action": "early_help", "note": "Family support offered."})

    page = check_page(client.get(f"/notifications/{notification_id}/print"))
    assert page.find(class_="govuk-service-navigation") is None and page.find("footer") is None
    assert text_of(page.find(id="police-reference")) == "DC-PRINT-1"
    assert text_of(page.find("table", id="recorded-actions").tbody.find("th")) == "Early help"
    assert page.find(id="no-chronology") is not None
    assert "Acknowledged" in text_of(page.find(id="deadline"))
    assert page.find("button", id="print-button") is not None
    # At the top too: on a phone the record runs to several screens, and the button was only at its end.
    tags = page.find_all(True)
    top = page.find("button", id="print-button-top")
    assert top is not None and tags.index(top) < tags.index(page.find("h1"))
    assert all("govuk-!-display-none-print" in button.find_parent("p")["class"] for button in page.select("[data-print]"))
    assert len(page.select("[data-print]")) == 2
    assert _audit_actions(db, notification_id).count("notification.printed") == 1


def test_an_acknowledgement_whose_commit_fails_is_not_shown_as_done_and_is_not_stored(
        app, db, post_incident, key_adult, sign_in, monkeypatch):
    """The portal's session commits before the answer leaves, as the API's does: a Key Adult whose acknowledgement
    did not reach the database must not be told it did, or the notification would sit unacknowledged unseen."""
    import sqlalchemy as sa
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    with TestClient(app, base_url="https://encompass.test", raise_server_exceptions=False) as browser:
        sign_in(browser, key_adult(BRIMINGTON_JUNIOR))
        notification_id = post_incident()["C1"]["id"]
        page = browser.get(f"/notifications/{notification_id}")
        token = soup_of(page).find("form", id="acknowledge-form").find("input", attrs={"name": "csrf_token"})["value"]

        def disk_full(self):
            raise sa.exc.OperationalError("COMMIT", {}, Exception("database or disk is full"))

        monkeypatch.setattr(Session, "commit", disk_full)
        response = browser.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token},
                                follow_redirects=False)
        monkeypatch.undo()

    assert response.status_code == 500, "not the redirect to the acknowledged notification"
    db.expire_all()
    assert db.get(Notification, notification_id).acknowledged_at is None
