"""The notification page: the police facts, the deadline, the guidance beside them, the chronology, and view recording."""

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from bs4 import BeautifulSoup
from sqlmodel import select

from service.audit.models import AuditEvent
from service.notifications.models import Notification, NotificationEvent
from tests.builders import ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, child_entry, dob
from tests.keyadult.conftest import soup_of, text_of


def _facts(page) -> dict[str, str]:
    facts = page.find("dl", id="facts")
    return {text_of(row.find("dt")): text_of(row.find("dd")) for row in facts.find_all("div", class_="govuk-summary-list__row")}


def test_page_shows_the_facts_police_gave(client, post_incident, key_adult, sign_in, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    occurred = datetime(2026, 11, 20, 21, 5, tzinfo=UTC)
    notification = post_incident(
        child_entry(child_voice="I went upstairs and put my headphones on.", spoken_to=True, present_at_incident=True),
        reference="DC-2026-4242", occurred_at=occurred, risk_level="high",
        summary="Verbal argument between adults; a door was damaged.", police_actions=("DASH completed", "Arrest made"),
    )["C1"]

    page = check_page(client.get(f"/notifications/{notification['id']}"))
    assert text_of(page.find("h1")) == "Ellie Brookes"
    assert "Ellie" not in page.find("title").get_text(), "the child's name stays out of the browser history"
    facts = _facts(page)
    assert facts["Name"] == "Ellie Brookes"
    born = date.fromisoformat(dob(9))
    assert facts["Date of birth"] == f"{born.day} {born:%B %Y}"
    assert facts["Age"].startswith("9 years old")
    assert facts["Date and time of the incident"] == "20 November 2026 at 9:05pm"
    assert facts["Was the child there?"] == "Yes"
    assert facts["Did police speak to the child?"] == "Yes"
    assert facts["What the child said"] == "I went upstairs and put my headphones on."
    assert facts["Risk level"] == "High"
    assert facts["What happened"] == "Verbal argument between adults; a door was damaged."
    assert [li.get_text(strip=True) for li in page.find(id="police-actions").find_all("li")] == ["DASH completed", "Arrest made"]
    assert facts["Police reference"] == "DC-2026-4242"
    assert facts["Police force"] == "Derbyshire Constabulary"


def test_deadline_is_given_in_london_time_and_marked_overdue_once_passed(client, db, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    db.exec(sa.update(Notification).where(Notification.id == notification_id)
            .values(acknowledge_by=datetime(2026, 11, 24, 10, 0, tzinfo=UTC)))
    db.commit()
    deadline = soup_of(client.get(f"/notifications/{notification_id}")).find(id="deadline")
    assert "Acknowledge by 24 November 2026 at 10:00am" in text_of(deadline)

    db.exec(sa.update(Notification).where(Notification.id == notification_id)
            .values(acknowledge_by=datetime.now(UTC) - timedelta(minutes=5)))
    db.commit()
    page = soup_of(client.get(f"/notifications/{notification_id}"))
    assert page.find(id="deadline").find("strong", class_="govuk-tag", string="Overdue") is not None
    assert text_of(page.find(id="status")) == "Overdue"


def _guidance(page):
    """Both parts of the guidance panel: the first (999, do not ask) and the rest, as one piece of soup."""
    first, more = page.find("aside", id="guidance"), page.find("aside", id="more-guidance")
    assert first is not None and more is not None
    return BeautifulSoup(str(first) + str(more), "html.parser")


def test_guidance_sits_beside_the_facts_with_this_las_contacts(client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    guidance = _guidance(soup_of(client.get(f"/notifications/{notification_id}")))
    text = text_of(guidance)
    assert "Do not ask the child, or their parents or carers, about what happened" in text
    for heading in ("do-not-ask", "watch-for", "support", "if-worried", "helpline"):
        assert guidance.find(id=heading) is not None, heading
    assert "withdrawn, anxious" in text and "Attendance and punctuality" in text and "concentrating" in text
    assert "trusted adult" in text and "calm, quiet space" in text
    # Derbyshire (830) from config/east_midlands.toml
    threshold = guidance.find("a", id="threshold-link")
    assert threshold["href"] == "https://www.ddscp.org.uk/" and text_of(threshold) == "Derbyshire threshold document"
    assert "contact Starting Point on 01629 533190" in text
    # Every number is a link a phone can call, kept on one line.
    for link_id, number in (("front-door-phone", "01629533190"), ("helpline-phone", "02045139990")):
        link = guidance.find("a", id=link_id)
        assert link["href"] == f"tel:{number}" and "app-nowrap" in link["class"], link_id
    assert guidance.find("a", id="front-door-link")["href"].startswith("https://www.derbyshire.gov.uk/")
    assert "If a child is at immediate risk, call 999." in text
    assert "0204 513 9990" in text and "weekday mornings" in text
    assert guidance.find("a", href="https://www.operationencompass.org/") is not None


def test_guidance_falls_back_when_the_la_has_no_contacts_configured(client, db, post_incident, key_adult, sign_in):
    from service.localauthorities.models import LocalAuthority

    derbyshire = db.get(LocalAuthority, "830")
    derbyshire.threshold_document_url = None
    derbyshire.social_care_front_door_name = derbyshire.social_care_front_door_phone = None
    derbyshire.social_care_front_door_url = derbyshire.social_care_out_of_hours_phone = None
    db.add(derbyshire)
    db.commit()
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    guidance = _guidance(soup_of(client.get(f"/notifications/{notification_id}")))
    assert guidance.find("a", id="threshold-link") is None
    assert "threshold document" in text_of(guidance.find(id="threshold"))
    assert "designated safeguarding lead" not in text_of(guidance.find(id="threshold")), "the reader is the DSL"
    assert "Children's social care at Derbyshire council" in text_of(guidance.find(id="front-door"))
    assert "call 999" in text_of(guidance)


def test_chronology_lists_earlier_notifications_for_the_child_and_flags_three_in_three_months(
        client, post_incident, key_adult, sign_in):
    key_adult(SWANWICK_PRIMARY)
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    now = datetime.now(UTC)
    post_incident(child_entry(), occurred_at=now - timedelta(days=150), risk_level="standard")
    post_incident(child_entry(), occurred_at=now - timedelta(days=60), risk_level="medium")
    post_incident(child_entry(urn=SWANWICK_PRIMARY), occurred_at=now - timedelta(days=40))  # another school: not ours to see
    post_incident(child_entry(given_name="Someone", family_name="Else"), occurred_at=now - timedelta(days=20))
    second = post_incident(child_entry(), occurred_at=now - timedelta(days=30), risk_level="high")["C1"]["id"]
    latest = post_incident(child_entry(), occurred_at=now - timedelta(hours=8))["C1"]["id"]

    page = soup_of(client.get(f"/notifications/{latest}"))
    rows = page.find("table", id="chronology").tbody.find_all("tr")
    assert [text_of(row.find_all("td")[1]) for row in rows] == ["High", "Medium", "Standard"]
    assert rows[0].find("a")["href"] == f"/notifications/{second}"
    assert "about this child in 3 incidents in the 3 months" in text_of(page.find(id="repeat-warning"))
    assert page.find(id="repeat-warning").find(class_="govuk-warning-text") is not None

    # From the second one, only the two before it are earlier, and only two fall within its three months.
    page = soup_of(client.get(f"/notifications/{second}"))
    assert len(page.find("table", id="chronology").tbody.find_all("tr")) == 2
    assert page.find(id="repeat-warning") is None


def test_first_view_marks_it_viewed_once_and_every_view_is_audited(client, db, post_incident, key_adult, sign_in):
    user = key_adult(BRIMINGTON_JUNIOR)
    sign_in(client, user)
    notification_id = post_incident()["C1"]["id"]
    client.get(f"/notifications/{notification_id}")
    db.expire_all()
    first_seen = db.get(Notification, notification_id).first_viewed_at
    assert first_seen is not None and db.get(Notification, notification_id).status == "viewed"

    client.get(f"/notifications/{notification_id}")
    db.expire_all()
    assert db.get(Notification, notification_id).first_viewed_at == first_seen
    events = db.exec(select(NotificationEvent).where(NotificationEvent.notification_id == notification_id,
                                                     NotificationEvent.status == "viewed")).all()
    assert len(events) == 1
    views = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.viewed")).all()
    assert len(views) == 2
    assert {(v.actor_type, v.actor_id, v.object_id) for v in views} == {("user", str(user.id), notification_id)}
    assert all("Ellie" not in str(v.detail) and "Brookes" not in str(v.detail) for v in views)


def test_a_corrected_notification_links_to_the_correction(client, post_incident, key_adult, sign_in, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    older = post_incident(child_entry(), reference="DC-CORR-9", risk_level="medium")["C1"]["id"]
    newer = post_incident(child_entry(), reference="DC-CORR-9", risk_level="high")["C1"]["id"]

    old_page = check_page(client.get(f"/notifications/{older}"))
    link = old_page.find("a", id="corrected-link")
    assert link["href"] == f"/notifications/{newer}" and "corrected by police" in text_of(link)
    assert old_page.find("form", id="acknowledge-form") is None, "nothing to acknowledge on a replaced version"
    new_page = soup_of(client.get(f"/notifications/{newer}"))
    assert new_page.find(id="earlier-version").find("a")["href"] == f"/notifications/{older}"


def test_several_settings_user_sees_other_settings_history_with_the_setting_named(client, post_incident, key_adult, sign_in):
    key_adult(BRIMINGTON_JUNIOR)
    key_adult(ASHOVER_PRIMARY)
    sign_in(client, key_adult(BRIMINGTON_JUNIOR, ASHOVER_PRIMARY, role="deputy"))
    now = datetime.now(UTC)
    post_incident(child_entry(urn=ASHOVER_PRIMARY), occurred_at=now - timedelta(days=200))
    latest = post_incident(child_entry(), occurred_at=now - timedelta(hours=8))["C1"]["id"]
    row = soup_of(client.get(f"/notifications/{latest}")).find("table", id="chronology").tbody.find("tr")
    assert text_of(row.find_all("td")[2]) == "Ashover Primary School"
