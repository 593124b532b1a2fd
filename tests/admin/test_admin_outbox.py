"""The failed alerts page: counts, dead letters without addresses, send again one or all, and admins only."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent


def _state(db, message_id: int) -> OutboxMessage:
    db.expire_all()
    return db.get(OutboxMessage, message_id)


def test_landing_page_links_to_both_admin_pages(admin_client, check_page):
    soup = check_page(admin_client.get("/admin"))
    links = {a["href"] for a in soup.select("#admin-pages a")}
    assert links == {"/admin/outbox", "/admin/audit", "/admin/police-staff/invite"}


def test_no_failed_alerts_says_so(admin_client, add_alert, check_page):
    add_alert(state="sent")
    soup = check_page(admin_client.get("/admin/outbox"))
    assert "No alerts have failed for good" in soup.find(id="no-dead-letters").get_text()
    assert soup.find(id="dead-letters") is None and soup.find(id="send-all-again") is None
    assert soup.select_one("#count-sent td").get_text(strip=True) == "1"
    assert soup.select_one("#count-dead td").get_text(strip=True) == "0"


def test_dead_letter_is_listed_with_its_audience_and_no_email_address(admin_client, add_alert, make_user, check_page):
    colleague = make_user("setting_staff", urns=("112517",), email="dsl.private@example.sch.uk", is_active=False)
    # 10:30 UTC in July is 11:30am in London.
    dead = add_alert(audience="user", audience_ref=str(colleague.id), attempts=1, last_error="recipient account is not active",
                     created_at=datetime(2026, 7, 14, 10, 30, tzinfo=UTC))
    add_alert(state="pending")
    add_alert(state="pending")
    response = admin_client.get("/admin/outbox")
    soup = check_page(response)
    table = soup.find(id="dead-letters")
    assert table.find("caption").get_text(strip=True).startswith("Alerts that failed for good")
    row = soup.find(id=f"dead-letter-{dead.id}").get_text(" ", strip=True)
    assert f"User id {colleague.id}" in row and "recipient account is not active" in row
    assert "14 July 2026 at 11:30am" in row
    assert "dsl.private@example.sch.uk" not in response.text
    assert soup.select_one("#count-pending td").get_text(strip=True) == "2"
    assert soup.select_one("#count-dead td").get_text(strip=True) == "1"


def test_send_again_puts_the_alert_back_in_the_queue_and_audits_it(admin_client, admin, add_alert, db, csrf_from, check_page):
    dead = add_alert(audience="local_authority", audience_ref="830", attempts=8, last_error="no recipients")
    other = add_alert(audience="setting", audience_ref="112518")
    page = admin_client.get("/admin/outbox")
    token = csrf_from(page)
    response = admin_client.post(f"/admin/outbox/{dead.id}/send-again", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/outbox"

    again = _state(db, dead.id)
    assert (again.state, again.attempts, again.last_error) == ("pending", 0, None)
    assert _state(db, other.id).state == "dead"
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all()
    assert [(e.actor_id, e.object_id) for e in audit] == [(str(admin.id), str(dead.id))]

    soup = check_page(admin_client.get("/admin/outbox"))
    assert f"Alert {dead.id} will be sent again." in soup.find(class_="govuk-notification-banner").get_text()
    assert soup.find(id=f"dead-letter-{dead.id}") is None and soup.find(id=f"dead-letter-{other.id}") is not None


def test_sending_again_twice_tells_the_admin_instead_of_failing(admin_client, add_alert, db, csrf_from, check_page):
    dead = add_alert()
    token = csrf_from(admin_client.get("/admin/outbox"))
    admin_client.post(f"/admin/outbox/{dead.id}/send-again", data={"csrf_token": token})
    response = admin_client.post(f"/admin/outbox/{dead.id}/send-again", data={"csrf_token": token})
    assert response.status_code == 200
    assert "no longer in the failed list" in check_page(response).find(class_="govuk-notification-banner").get_text()
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all()) == 1


def test_send_all_again_retries_every_dead_letter(admin_client, add_alert, db, csrf_from, check_page):
    dead = [add_alert(), add_alert(audience="webhook"), add_alert(audience="la_team", audience_ref="831")]
    sent = add_alert(state="sent")
    response = admin_client.post("/admin/outbox/send-all-again", data={"csrf_token": csrf_from(admin_client.get("/admin/outbox"))})
    soup = check_page(response)
    assert "3 failed alerts will be sent again." in soup.find(class_="govuk-notification-banner").get_text()
    assert [_state(db, m.id).state for m in dead] == ["pending"] * 3 and _state(db, sent.id).state == "sent"
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all()) == 3
    assert soup.find(id="no-dead-letters") is not None


def test_send_again_without_the_csrf_token_changes_nothing(admin_client, add_alert, db):
    dead = add_alert()
    response = admin_client.post(f"/admin/outbox/{dead.id}/send-again", data={})
    assert response.status_code == 400
    assert _state(db, dead.id).state == "dead"


@pytest.mark.parametrize("kind, places", [("setting_staff", {"urns": ("112517",)}), ("la_officer", {"la_codes": ("830",)})])
def test_key_adults_and_la_officers_cannot_see_or_send_failed_alerts(client, make_user, sign_in, add_alert, db, csrf_for, kind, places):
    dead = add_alert()
    sign_in(client, make_user(kind, **places))
    for path in ("/admin/outbox", "/admin/audit"):
        assert client.get(path).status_code == 404
    token = csrf_for(client)
    assert client.post(f"/admin/outbox/{dead.id}/send-again", data={"csrf_token": token}).status_code == 404
    assert client.post("/admin/outbox/send-all-again", data={"csrf_token": token}).status_code == 404
    assert _state(db, dead.id).state == "dead"


def test_anonymous_visitors_are_sent_to_sign_in(client, add_alert, db):
    dead = add_alert()
    for path in ("/admin/outbox", "/admin/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/sign-in?next={path}"
    assert client.post(f"/admin/outbox/{dead.id}/send-again", follow_redirects=False).status_code in (303, 400)
    assert _state(db, dead.id).state == "dead"
