"""The case page and queues as an officer reads them: the child's name first, one primary action a section, the
incident's other children, why an item is here after a hand-over, and outcomes that fit the child."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from service.keyadult.service import SEND_BACK, StaffMember, record_action
from service.laworkspace import item as la_item
from tests.laworkspace.conftest import AMBIGUOUS_NAME, BRIMINGTON_JUNIOR, child_entry


def _primary_buttons(section) -> list[str]:
    return [b.get_text(strip=True) for b in section.select(".govuk-button")
            if not {"govuk-button--secondary", "govuk-button--warning"} & set(b.get("class", []))]


def _sections(soup) -> dict[str, list]:
    """The main column cut at each h2: {heading: the tags up to the next h2}."""
    column = soup.select_one("main .govuk-grid-column-two-thirds")
    sections: dict[str, list] = {}
    current = None
    for tag in column.children:
        if getattr(tag, "name", None) == "h2":
            current = tag.get_text(strip=True)
            sections[current] = []
        elif current is not None and getattr(tag, "name", None):
            sections[current].append(tag)
    return sections


def test_the_case_page_is_headed_with_the_child_and_each_section_has_one_primary_action(
        officer_client, post_incident, check_page):
    [sent] = post_incident(child_entry("C1", given_name="Rowan", family_name="Ashby", education_status="attends_setting",
                                       setting_name=AMBIGUOUS_NAME))
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{sent['id']}", params={"setting_search": "Ashover"}))
    assert soup.h1.get_text(strip=True) == "Rowan Ashby"
    sections = _sections(soup)
    assert {"Acknowledge", "Record an outcome", "Assign"} <= set(sections)
    for heading, tags in sections.items():
        primaries = [text for tag in tags for text in _primary_buttons(BeautifulSoup(str(tag), "html.parser"))]
        # The re-route section holds two sub-sections (a setting, another LA), each with its own one primary.
        assert len(primaries) <= (2 if heading == "Send it somewhere else" else 1), (heading, primaries)
    assert _primary_buttons(soup.find("form", id="assign-form")) == []


def test_the_other_children_of_the_incident_are_listed_with_their_owners_and_linked_only_where_the_officer_may_see_them(
        officer_client, post_incident, onboard, check_page):
    onboard(BRIMINGTON_JUNIOR)
    sent = post_incident(
        child_entry("C1", given_name="Ellie", education_status="attends_setting", setting_urn=BRIMINGTON_JUNIOR),
        child_entry("C2", given_name="Noah"),
        child_entry("C3", given_name="Otto", home_la_code="891"),
    )
    ellie, noah, otto = (n["id"] for n in sent)
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{noah}"))
    rows = soup.select("#other-children-table tr.other-child")
    assert len(rows) == 2
    by_owner = {row.select("td")[1].get_text(strip=True): row.select("td")[0] for row in rows}
    ellie_cell = by_owner["Brimington Junior School (URN 112517)"]
    assert ellie_cell.find("a")["href"] == f"/la/notifications/{ellie}" and "Ellie" in ellie_cell.get_text()
    [otto_owner] = [owner for owner in by_owner if owner.startswith("Nottinghamshire")]
    otto_cell = by_owner[otto_owner]
    assert otto_cell.find("a") is None and "Otto" not in soup.get_text() and otto not in soup.decode()
    assert "age 9" in otto_cell.get_text()


def _sent_back(db, onboard, post_incident, note: str) -> dict:
    key_adult = onboard(BRIMINGTON_JUNIOR)
    [sent] = post_incident(child_entry("C1", given_name="Ivy", education_status="attends_setting", setting_urn=BRIMINGTON_JUNIOR))
    record_action(db, staff=StaffMember(user_id=key_adult.id, urns=frozenset({BRIMINGTON_JUNIOR})), notification_id=sent["id"],
                  action=SEND_BACK, note=note, now=datetime.now(UTC))
    db.commit()
    return sent


def test_the_sent_back_queue_says_who_sent_it_back_when_and_why(officer_client, post_incident, onboard, check_page, db):
    sent = _sent_back(db, onboard, post_incident, "Left us in July for a school in Derby.")
    client, _ = officer_client("830")
    [row] = check_page(client.get("/la/queues/sent_back")).select("tr.queue-item")
    why = row.select_one(".routing-reason")
    assert why.select_one(".hand-over-who").get_text(strip=True) == "Sent back by Brimington Junior School"
    assert why.select_one(".hand-over-when").get_text(strip=True)
    assert "Left us in July for a school in Derby." in why.select_one(".hand-over-why").get_text()
    # The original routing reason (the URN police gave) is not what explains it now.
    assert "URN" not in why.get_text()

    page = check_page(client.get(f"/la/notifications/{sent['id']}"))
    latest = page.find(id="latest-hand-over")
    assert "Sent back by Brimington Junior School" in latest.get_text(" ", strip=True)
    assert "Left us in July" in latest.get_text()


def test_a_re_routed_item_says_where_it_came_from_and_the_officers_reason(
        db, officer_client, as_officer, post_incident, check_page):
    from service.laworkspace import reroute

    [sent] = post_incident(child_entry("C1", given_name="Kit", home_la_code="831"))
    derby_officer, _ = as_officer("831", name="Derby officer")
    reroute.reroute(db, derby_officer, sent["id"], target="la", urn=None, la_code="830",
                    reason="The family moved to Chesterfield last month.")
    db.commit()
    client, _ = officer_client("830")
    [row] = check_page(client.get("/la/queues/not_in_school")).select("tr.queue-item")
    why = row.select_one(".routing-reason").get_text(" ", strip=True)
    assert "Re-routed from Derby" in why and "The family moved to Chesterfield last month." in why


@pytest.mark.parametrize("education_status, offered, not_offered", [
    ("not_in_education_employment_training", "post16_participation_team_contacted", "contacted_home_education_officer"),
    ("missing_education", "missing_education_enquiries_started", "post16_participation_team_contacted"),
    ("no_school_place", "in_year_admission_under_way", "contacted_home_education_officer"),
    ("elective_home_education", "contacted_home_education_officer", "in_year_admission_under_way"),
])
def test_outcome_choices_fit_the_kind_of_child(officer_client, post_incident, form_token, check_page,
                                               education_status, offered, not_offered):
    [sent] = post_incident(child_entry("C1", age=16, education_status=education_status))
    client, _ = officer_client("830")
    page = client.get(f"/la/notifications/{sent['id']}")
    choices = [i["value"] for i in check_page(page).select("#outcome-form input[name=outcome]")]
    assert offered in choices and not_offered not in choices
    assert {"no_further_action", "other"} <= set(choices)

    refused = client.post(f"/la/notifications/{sent['id']}/outcome", data={
        "csrf_token": form_token(page, "outcome-form"), "outcome": not_offered, "outcome-note": ""})
    assert refused.status_code == 400
    assert check_page(refused).select_one(".govuk-error-summary a[href='#outcome']")
    recorded = client.post(f"/la/notifications/{sent['id']}/outcome", data={
        "csrf_token": form_token(page, "outcome-form"), "outcome": offered, "outcome-note": ""})
    assert recorded.status_code == 200
    assert la_item.OUTCOME_LABELS[offered] in check_page(recorded).find(id="outcome-list").get_text()


def test_an_outcome_stored_under_an_older_list_still_reads_in_words(db, officer_client, post_incident, check_page):
    from service.notifications import lifecycle
    from service.notifications.models import Notification

    [sent] = post_incident(child_entry("C1", age=16, education_status="not_in_education_employment_training"))
    client, user = officer_client("830")
    notification = db.get(Notification, sent["id"])
    lifecycle.record_action(db, notification, action="contacted_home_education_officer", note="Recorded last year.",
                            recorded_by=user.id, now=datetime.now(UTC), by_setting=False)
    db.commit()
    outcomes = check_page(client.get(f"/la/notifications/{sent['id']}")).find(id="outcome-list").get_text(" ", strip=True)
    assert "Contacted the family's home education officer" in outcomes and "contacted_home" not in outcomes


def test_the_case_page_shows_the_same_childs_other_settings_apart_from_the_other_children(
        officer_client, onboard, post_incident, check_page):
    """A dual-registered child (police's other_settings): the LA sees the child's notifications together, each with who
    holds it, and the child is not listed again as one of the 'other children'."""
    from tests.builders import SWANWICK_PRIMARY

    onboard(BRIMINGTON_JUNIOR)
    main, at_swanwick, brother = post_incident(
        child_entry("C1", given_name="Rowan", family_name="Ashby", education_status="attends_setting",
                    urn=BRIMINGTON_JUNIOR, other_settings=[{"setting_urn": SWANWICK_PRIMARY}]),
        child_entry("C2", given_name="Ezra", family_name="Ashby"))
    assert at_swanwick["routing"]["outcome"] == "local_authority", "Swanwick has no Key Adult: the LA holds it"
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{at_swanwick['id']}"))

    rows = soup.select("#other-settings-table tbody tr")
    assert [row.select_one('[data-label="Held by"]').get_text(strip=True) for row in rows] == [
        "Brimington Junior School (URN 112517)"]
    assert rows[0].find("a")["href"] == f"/la/notifications/{main['id']}"
    others = [row.get_text(" ", strip=True) for row in soup.select("#other-children-table tbody tr")]
    assert len(others) == 1 and "Ezra Ashby" in others[0] and "Rowan" not in " ".join(others)
    assert brother["id"] in str(soup.select_one("#other-children-table"))

    lone = check_page(client.get(f"/la/notifications/{brother['id']}"))
    assert lone.find(id="other-settings") is None, "a child police named at one setting has no such section"


def test_the_officers_pages_name_their_local_authority_instead_of_its_code(officer_client, post_incident, check_page):
    [sent] = post_incident(child_entry("C1", home_la_code="830"))
    client, _ = officer_client("830")
    for path in ("/la", "/la/dashboard", "/la/key-adults", "/la/not-reached"):
        caption = check_page(client.get(path)).select_one(".govuk-caption-l").get_text(strip=True)
        assert caption == "Derbyshire", path
    facts = check_page(client.get(f"/la/notifications/{sent['id']}")).get_text(" ", strip=True)
    assert "Home local authority Derbyshire (830)" in facts


def _before(soup, first, second) -> bool:
    """Whether tag `first` comes before tag `second` in the page (document order: what a phone shows first)."""
    tags = list(soup.find_all(True))
    return tags.index(first) < tags.index(second)


def test_the_999_line_the_deadline_and_acknowledge_come_before_the_childs_details(
        officer_client, post_incident, receive_at, check_page):
    """On a phone the columns stack: what the officer must see and do first cannot wait below the routing tables."""
    [sent] = post_incident(child_entry("C1", given_name="Rowan", family_name="Ashby"))
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{sent['id']}"))
    child = soup.find("h2", id="child")
    emergency = soup.find(id="emergency")
    assert "call 999" in emergency.get_text() and _before(soup, emergency, child)
    deadline = soup.find(id="deadline")
    assert deadline.get_text(" ", strip=True).startswith("Acknowledge by ") and _before(soup, deadline, child)
    assert deadline.find("form", id="acknowledge-form").find("button", id="acknowledge")
    assert "Overdue" not in deadline.get_text()
    assert len(soup.find_all(string=lambda text: text and "call 999" in text)) == 1


def test_an_overdue_case_says_so_beside_its_deadline(officer_client, receive_at, check_page):
    [late] = receive_at(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), datetime(2026, 11, 1, 22, 0, tzinfo=UTC),
                        child_entry("C1"))
    client, _ = officer_client("830")
    deadline = check_page(client.get(f"/la/notifications/{late}")).find(id="deadline")
    assert "Overdue" in deadline.find(class_="govuk-tag").get_text()


def test_an_acknowledged_case_says_when_and_offers_no_button(officer_client, post_incident, form_token, check_page):
    [sent] = post_incident(child_entry("C1"))
    client, _ = officer_client("830")
    page = client.get(f"/la/notifications/{sent['id']}")
    after = check_page(client.post(f"/la/notifications/{sent['id']}/acknowledge",
                                   data={"csrf_token": form_token(page, "acknowledge-form")}))
    assert not after.find(id="acknowledge-form")
    assert after.find(id="acknowledged-at").get_text(" ", strip=True).startswith("Acknowledged at ")


def test_the_case_page_lists_its_sections_for_a_phone(officer_client, post_incident, check_page):
    [sent] = post_incident(child_entry("C1"))
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{sent['id']}"))
    links = soup.select("#on-this-page a")
    assert {"Record an outcome", "Send it somewhere else", "History"} <= {a.get_text(strip=True) for a in links}
    targets = [soup.find(id=link["href"].removeprefix("#")) for link in links]
    assert all(targets), [link["href"] for link in links]
    tags = soup.find_all(True)
    assert [tags.index(t) for t in targets] == sorted(tags.index(t) for t in targets)  # in the page's order


def test_the_front_door_numbers_on_the_case_page_can_be_tapped(officer_client, post_incident, check_page, db):
    from service.localauthorities.models import LocalAuthority

    authority = db.get(LocalAuthority, "830")
    authority.social_care_front_door_name, authority.social_care_front_door_phone = "Call Derbyshire", "01629 533190"
    authority.social_care_out_of_hours_phone = "01629 532600"
    db.add(authority)
    db.commit()
    [sent] = post_incident(child_entry("C1"))
    client, _ = officer_client("830")
    remember = check_page(client.get(f"/la/notifications/{sent['id']}")).find("aside", id="remember")
    assert {a["href"] for a in remember.select("a[href^='tel:']")} == {"tel:01629533190", "tel:01629532600"}


def _escalated_at_brimington(db, receive_at, onboard) -> str:
    """Brimington's notification of a week ago, still unacknowledged: deputies alerted, then escalated to the LA."""
    from datetime import timedelta

    from service.db import utcnow
    from service.escalation.service import apply_ladder_step

    onboard(BRIMINGTON_JUNIOR)
    week_ago = utcnow() - timedelta(days=7)
    [notification_id] = receive_at(week_ago, week_ago - timedelta(hours=8),
                                   child_entry("C1", education_status="attends_setting", urn=BRIMINGTON_JUNIOR))
    for _ in range(2):
        apply_ladder_step(db, notification_id, now=utcnow(), escalate_after=timedelta(hours=2))
    db.commit()
    return notification_id


def test_an_escalated_case_a_school_holds_shows_its_missed_deadline_at_the_top(
        db, officer_client, receive_at, onboard, check_page):
    """The officer cannot acknowledge for the school, but the deadline it missed is why the case is theirs."""
    notification_id = _escalated_at_brimington(db, receive_at, onboard)
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{notification_id}"))
    deadline = soup.find(id="deadline")
    assert deadline is not None and _before(soup, deadline, soup.find("h2", id="child"))
    assert deadline.get_text(" ", strip=True).startswith("Acknowledge by ")
    assert "Overdue" in deadline.find(class_="govuk-tag").get_text()
    assert not soup.find(id="acknowledge-form")
    assert "only its Key Adult can acknowledge it" in deadline.get_text(" ", strip=True)


def test_the_escalated_queue_says_why_in_its_own_words(db, officer_client, receive_at, onboard, check_page):
    _escalated_at_brimington(db, receive_at, onboard)
    client, _ = officer_client("830")
    [row] = check_page(client.get("/la/queues/escalated")).select("tr.queue-item")
    assert row.select_one(".why-headline").get_text(strip=True) == "Not acknowledged by its deadline"
    summary = row.select_one(".routing-reason details summary").get_text(" ", strip=True)
    assert summary.startswith("Full routing reason") and "Brookes" in summary  # says whose, for a screen reader


def test_the_case_pages_status_is_coloured_as_the_key_adult_and_police_see_it(officer_client, post_incident, check_page):
    from service import wording

    [sent] = post_incident(child_entry("C1"))
    client, _ = officer_client("830")
    tag = check_page(client.get(f"/la/notifications/{sent['id']}")).find(id="status-tag")
    assert tag.get_text(strip=True) == "Viewed"  # the LA's own first view
    assert wording.STATUS_TAG_CLASSES["Viewed"] in tag["class"]
