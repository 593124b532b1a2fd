"""A form with errors takes one path: the change is rolled back, the page comes back with a GOV.UK error summary,
and showing it again records no view (the audit trail says what people looked at, not how often they mistyped)."""

from bs4 import BeautifulSoup
from sqlmodel import select

from service.audit.models import AuditEvent
from service.notifications.models import NotificationAction
from tests.builders import BRIMINGTON_JUNIOR, child_entry


def _views(db, notification_id: str) -> int:
    db.expire_all()
    return len(db.exec(select(AuditEvent).where(AuditEvent.action == "notification.viewed",
                                                AuditEvent.object_id == notification_id)).all())


def _token(page) -> str:
    return BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})["value"]


def _summary(response) -> str:
    summary = BeautifulSoup(response.text, "html.parser").find(class_="govuk-error-summary")
    assert summary is not None, "no error summary"
    return summary.get_text(" ", strip=True)


def test_a_key_adults_form_error_is_shown_again_without_recording_a_view(db, client, post_incident, make_user, sign_in):
    sign_in(client, make_user("setting_staff", urns=[BRIMINGTON_JUNIOR]))
    [sent] = post_incident(child_entry("C1"))
    page = client.get(f"/notifications/{sent['id']}")
    assert _views(db, sent["id"]) == 1

    # "Other" needs a note, and nothing is recorded before the notification is acknowledged.
    response = client.post(f"/notifications/{sent['id']}/actions",
                           data={"csrf_token": _token(page), "action": "other", "note": ""})
    assert response.status_code == 400
    assert "Acknowledge the notification" in _summary(response)
    assert _views(db, sent["id"]) == 1
    assert db.exec(select(NotificationAction)).all() == []


def test_an_officers_form_error_is_shown_again_without_recording_a_view(db, client, post_incident, make_user, sign_in):
    sign_in(client, make_user("la_officer", la_codes=["830"]))
    [sent] = post_incident(child_entry("C1", urn=None, education_status="missing_education"))
    page = client.get(f"/la/notifications/{sent['id']}")
    assert _views(db, sent["id"]) == 1

    response = client.post(f"/la/notifications/{sent['id']}/reroute",
                           data={"csrf_token": _token(page), "target": "la", "reroute-la-code": "831", "reroute-la-reason": ""})
    assert response.status_code == 400
    assert "Enter why you are re-routing" in _summary(response)
    assert _views(db, sent["id"]) == 1
    # The officer's choice is kept on the page they correct.
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("select", attrs={"name": "reroute-la-code"}).find("option", selected=True)["value"] == "831"
