"""The notification form: the API's fields and rules, GOV.UK errors, the same intake (repeats and corrections)."""

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from service.audit.models import AuditEvent
from service.notifications.models import Incident, Notification
from tests.builders import BRIMINGTON_JUNIOR, dob
from tests.policeportal.conftest import form_fields


def answers(reference: str = "DC-FORM-1", **overrides) -> dict[str, str]:
    """What a member of staff types for one incident and one 9-year-old at Brimington Junior (by URN)."""
    yesterday = date.today() - timedelta(days=1)
    born = date.fromisoformat(dob(9))
    typed = {
        "police_reference": reference, "occurred-day": str(yesterday.day), "occurred-month": str(yesterday.month),
        "occurred-year": str(yesterday.year), "occurred-time": "21:40", "risk_level": "medium",
        "summary": "Argument between adults; police attended.", "police_actions": "DASH risk assessment completed\nArrest",
        "child-0-child-reference": "C1", "child-0-given-name": "Ellie", "child-0-family-name": "Brookes",
        "child-0-date-of-birth-day": str(born.day), "child-0-date-of-birth-month": str(born.month),
        "child-0-date-of-birth-year": str(born.year), "child-0-education-status": "attends_setting",
        "child-0-setting-urn": BRIMINGTON_JUNIOR, "child-0-home-la-code": "830", "child-0-present-at-incident": "yes",
    }
    typed.update(overrides)
    return typed


def send(browser, typed: dict[str, str], *, child_count: int = 1, action: str = "send"):
    page = browser.get("/police/incidents/new")
    posted = {**form_fields(page.text), **typed, "child_count": str(child_count), "action": action}
    return browser.post("/police/incidents/new", data=posted, follow_redirects=False)


def test_a_sent_incident_goes_through_the_intake_and_the_confirmation_says_where_each_child_went(hub, db, onboard, check_page):
    onboard(BRIMINGTON_JUNIOR)
    added = send(hub, answers(), action="add-child")
    assert added.status_code == 200
    soup = check_page(added)
    assert soup.find(id="child-1-given-name") is not None and soup.find(id="child-0-given-name")["value"] == "Ellie"
    second = answers(**{"child-1-child-reference": "C2", "child-1-given-name": "Noah", "child-1-family-name": "Brookes",
                        "child-1-date-of-birth-day": "10", "child-1-date-of-birth-month": "5",
                        "child-1-date-of-birth-year": str(date.today().year - 14),
                        "child-1-education-status": "elective_home_education", "child-1-home-la-code": "830"})
    response = send(hub, second, child_count=2)
    assert response.status_code == 303, response.text[:3000]
    confirmation = hub.get(response.headers["location"])
    soup = check_page(confirmation)
    assert soup.select_one(".govuk-panel__body").get_text(" ", strip=True) == "Police reference DC-FORM-1"
    rows = {tr.find("th").get_text(strip=True): tr.get_text(" ", strip=True) for tr in soup.find(id="routes").tbody.find_all("tr")}
    assert "Brimington Junior" in rows["C1"] and "URN" in rows["C1"]
    assert "Local authority" in rows["C2"] and "Derbyshire (830)" in rows["C2"] and "home" in rows["C2"].lower()
    assert "Noah" not in confirmation.text

    incident = db.exec(select(Incident).where(Incident.police_reference == "DC-FORM-1")).one()
    assert incident.police_actions == ["DASH risk assessment completed", "Arrest"]
    assert incident.occurred_at.hour in (21, 20)  # 21:40 UK time, in UTC
    stored = {n.child_reference: n for n in db.exec(select(Notification).where(Notification.incident_id == incident.id))}
    assert stored["C1"].recipient_urn == BRIMINGTON_JUNIOR and stored["C1"].present_at_incident is True
    assert stored["C2"].recipient_urn is None and stored["C2"].spoken_to is None
    sent = db.exec(select(AuditEvent).where(AuditEvent.action == "police_portal.incident_sent")).one()
    assert sent.actor_id == str(hub.user.id) and sent.detail["via"] == "form" and sent.detail["outcome"] == "new"


def test_a_blank_form_lists_every_missing_answer_linked_to_its_field(hub, check_page, db):
    response = send(hub, {key: "" for key in answers()})
    assert response.status_code == 400
    soup = check_page(response)
    assert soup.title.get_text(strip=True).startswith("Error:")
    links = [a["href"].lstrip("#") for a in soup.select(".govuk-error-summary a")]
    assert links == ["police-reference", "occurred-day", "risk-level", "summary", "child-0-child-reference", "child-0-given-name",
                     "child-0-family-name", "child-0-date-of-birth-day", "child-0-education-status"]  # the page's order
    for target in links:
        assert soup.find(id=target) is not None, f"error summary links to #{target}, which is not on the page"
    assert db.exec(select(Incident)).first() is None


@pytest.mark.parametrize("summary", ["", "   \n  "])
def test_the_form_needs_what_happened_for_the_schools_safeguarding_lead(hub, db, check_page, summary):
    """The API takes a blank summary; a person filling in the form is asked for one, or the school learns nothing."""
    response = send(hub, answers(summary=summary))
    assert response.status_code == 400
    soup = check_page(response)
    [link] = soup.select(".govuk-error-summary a")
    assert link["href"] == "#summary" and link.get_text(strip=True) == "Enter what happened"
    assert soup.find(id="summary-error") is not None
    assert db.exec(select(Incident)).first() is None


def test_the_api_rules_apply_field_by_field(hub, db):
    tomorrow_but_one = date.today() + timedelta(days=3)
    response = send(hub, answers(**{
        "child-0-upn": "not a upn", "child-0-home-la-code": "83", "child-0-date-of-birth-year": str(tomorrow_but_one.year),
        "child-0-date-of-birth-month": str(tomorrow_but_one.month), "child-0-date-of-birth-day": str(tomorrow_but_one.day),
        "police_reference": "has spaces in it",
    }))
    assert response.status_code == 400
    soup = BeautifulSoup(response.text, "html.parser")
    messages = {a["href"].lstrip("#"): a.get_text(strip=True) for a in soup.select(".govuk-error-summary a")}
    assert set(messages) == {"police-reference", "child-0-upn", "child-0-home-la-code", "child-0-date-of-birth-day"}
    assert "past" in messages["child-0-date-of-birth-day"]
    assert soup.find(id="child-0-upn-error") is not None  # the message beside the field too
    assert db.exec(select(Incident)).first() is None


def test_two_children_with_the_same_reference_are_refused_at_the_second(hub, db):
    typed = answers(**{"child-1-child-reference": "C1", "child-1-given-name": "Noah", "child-1-family-name": "Brookes",
                       "child-1-date-of-birth-day": "10", "child-1-date-of-birth-month": "5", "child-1-date-of-birth-year": "2012",
                       "child-1-education-status": "unknown"})
    response = send(hub, typed, child_count=2)
    assert response.status_code == 400
    links = [a["href"] for a in BeautifulSoup(response.text, "html.parser").select(".govuk-error-summary a")]
    assert links == ["#child-1-child-reference"]
    assert db.exec(select(Incident)).first() is None


def test_sending_again_stores_nothing_new_and_a_change_is_a_correction(hub, db):
    first = send(hub, answers())
    again = send(hub, answers())
    assert first.headers["location"] == again.headers["location"]
    assert "already sent exactly" in hub.get(again.headers["location"]).text
    assert len(db.exec(select(Incident)).all()) == 1
    corrected = send(hub, answers(summary="Argument between adults; one adult arrested."))
    page = hub.get(corrected.headers["location"])
    assert "version 2 replaces version 1" in page.text
    versions = db.exec(select(Incident).order_by(Incident.version)).all()
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]


def test_another_forces_staff_cannot_see_the_confirmation(hub, other_hub):
    location = send(hub, answers()).headers["location"]
    assert hub.get(location).status_code == 200
    assert other_hub.get(location).status_code == 404


def test_no_more_than_twenty_children(hub):
    response = send(hub, answers(), child_count=20, action="add-child")
    assert response.status_code == 400
    assert "up to 20 children" in response.text


@pytest.mark.parametrize("typed", ["2²", "9" * 5000])
def test_a_strange_digit_in_a_date_box_is_a_clear_error_not_a_crash(typed):
    """Found in review: str.isdigit() accepts '²' and huge numbers, which int() then refused with a 500."""
    from service.policeportal import incident_form

    body = incident_form.incident_body({"occurred-day": "1", "occurred-month": "11", "occurred-year": typed,
                                        "occurred-time": "21:40", "child-1-dob-day": typed, "child-1-dob-month": "1",
                                        "child-1-dob-year": "2017"})
    assert isinstance(body, dict)
