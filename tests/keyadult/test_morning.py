"""What a Key Adult needs first on a busy morning: the top of the notification page, the guidance before the
acknowledge button, brothers and sisters at their own setting (and nothing about anyone else's), and the print view."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from tests.builders import BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, child_entry
from tests.keyadult.conftest import soup_of, text_of


def _position(html: str, marker: str) -> int:
    at = html.find(marker)
    assert at >= 0, f"{marker} is not on the page"
    return at


def test_the_top_of_the_page_has_a_back_link_the_name_the_risk_tag_and_the_repeat_warning(
        client, post_incident, key_adult, sign_in, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    now = datetime.now(UTC)
    for days in (70, 30):
        post_incident(child_entry(), occurred_at=now - timedelta(days=days))
    latest = post_incident(child_entry(), occurred_at=now - timedelta(hours=8), risk_level="high")["C1"]["id"]

    page = check_page(client.get(f"/notifications/{latest}"))
    back = page.find("a", class_="govuk-back-link")
    assert back["href"] == "/notifications"
    heading = page.find(id="heading")
    assert text_of(heading.find("h1")) == "Ellie Brookes"
    risk = heading.find(id="risk-tag")
    assert text_of(risk) == "High risk" and "govuk-tag--red" in risk["class"]
    assert "about this child in 3 incidents in the 3 months" in text_of(heading.find(id="repeat-warning"))
    html = str(page)
    assert _position(html, 'class="govuk-back-link"') < _position(html, "<h1")


def test_standard_risk_is_a_grey_tag_and_no_warning_shows_for_a_first_notification(client, post_incident, key_adult, sign_in):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident(risk_level="standard")["C1"]["id"]
    page = soup_of(client.get(f"/notifications/{notification_id}"))
    risk = page.find(id="risk-tag")
    assert text_of(risk) == "Standard risk" and "govuk-tag--grey" in risk["class"]
    assert page.find(id="repeat-warning") is None


def test_999_and_do_not_ask_come_before_the_acknowledge_button_in_the_page(client, post_incident, key_adult, sign_in):
    """On a phone the columns stack in document order, so document order is the order a phone shows."""
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    notification_id = post_incident()["C1"]["id"]
    html = client.get(f"/notifications/{notification_id}").text
    acknowledge = _position(html, 'id="acknowledge"')
    assert _position(html, 'id="emergency"') < acknowledge
    assert _position(html, 'id="do-not-ask"') < acknowledge
    assert "call 999" in text_of(BeautifulSoup(html, "html.parser").find(id="emergency"))
    # The rest of the guidance is still on the page, after the notification.
    assert _position(html, 'id="watch-for"') > acknowledge


def test_other_children_of_the_incident_at_this_setting_are_named_and_linked(client, post_incident, key_adult, sign_in):
    key_adult(SWANWICK_PRIMARY)
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    sent = post_incident(
        child_entry("C1", given_name="Ellie", family_name="Brookes"),
        child_entry("C2", given_name="Noah", family_name="Brookes"),
        child_entry("C3", given_name="Zephyrine", family_name="Quayle", urn=SWANWICK_PRIMARY),
        child_entry("C4", given_name="Ottoline", family_name="Quayle", urn=None, education_status="missing_education"),
    )
    response = client.get(f"/notifications/{sent['C1']['id']}")
    siblings = soup_of(response).find(id="siblings")
    assert "at your setting" in text_of(siblings)
    assert [(text_of(a), a["href"]) for a in siblings.find_all("a")] == [("Noah Brookes", f"/notifications/{sent['C2']['id']}")]
    for elsewhere in ("C3", "C4"):
        assert sent[elsewhere]["id"] not in response.text
    assert "Zephyrine" not in response.text and "Ottoline" not in response.text and "Quayle" not in response.text

    # And from Noah's page, back to Ellie.
    back = soup_of(client.get(f"/notifications/{sent['C2']['id']}")).find(id="siblings")
    assert [text_of(a) for a in back.find_all("a")] == ["Ellie Brookes"]


def test_a_sibling_only_at_another_setting_leaks_nothing_not_even_that_there_is_one(
        client, post_incident, key_adult, sign_in):
    key_adult(SWANWICK_PRIMARY)
    sign_in(client, key_adult(BRIMINGTON_JUNIOR))
    alone = post_incident(child_entry("C1", given_name="Amy"))["C1"]["id"]  # another child: no shared chronology
    sent = post_incident(child_entry("C1"), child_entry("C2", given_name="Zephyrine", family_name="Quayle", urn=SWANWICK_PRIMARY))
    assert sent["C2"]["routing"]["urn"] == SWANWICK_PRIMARY

    with_sibling = client.get(f"/notifications/{sent['C1']['id']}")
    without = client.get(f"/notifications/{alone}")
    assert soup_of(with_sibling).find(id="siblings") is None
    assert sent["C2"]["id"] not in with_sibling.text and "Zephyrine" not in with_sibling.text and "Quayle" not in with_sibling.text
    # The page is built the same way as for a child who was the only one: no count, no hint of another child.
    def shape(response) -> list[str]:
        main = soup_of(response).find("main")
        return [tag.get("id") for tag in main.find_all(id=True) if tag.get("id") not in ("csrf_token",)]
    assert shape(with_sibling) == shape(without)
    print_view = client.get(f"/notifications/{sent['C1']['id']}/print")
    assert sent["C2"]["id"] not in print_view.text and "Zephyrine" not in print_view.text


def test_a_deputy_of_two_settings_sees_siblings_at_both_with_where_they_are(client, post_incident, key_adult, sign_in):
    key_adult(SWANWICK_PRIMARY)
    key_adult(BRIMINGTON_JUNIOR)
    sign_in(client, key_adult(BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, role="deputy"))
    sent = post_incident(child_entry("C1"), child_entry("C2", given_name="Ruby", family_name="Hale", urn=SWANWICK_PRIMARY))
    siblings = soup_of(client.get(f"/notifications/{sent['C1']['id']}")).find(id="siblings")
    assert "at your settings" in text_of(siblings)
    assert "Ruby Hale at Swanwick Primary School" in text_of(siblings)


def test_print_view_is_marked_official_sensitive_and_says_who_acknowledged_and_what_was_done(
        client, post_incident, key_adult, sign_in, csrf, check_page):
    sign_in(client, key_adult(BRIMINGTON_JUNIOR, display_name="Jo Patel"))
    notification_id = post_incident()["C1"]["id"]
    token = csrf(notification_id)
    before = soup_of(client.get(f"/notifications/{notification_id}/print"))
    assert text_of(before.find(id="acknowledged")) == "Not yet acknowledged"

    client.post(f"/notifications/{notification_id}/acknowledge", data={"csrf_token": token})
    client.post(f"/notifications/{notification_id}/actions",
                data={"csrf_token": token, "action": "support_in_school", "note": "Daily check-in with the class teacher."})
    page = check_page(client.get(f"/notifications/{notification_id}/print"))
    assert text_of(page.find(id="marking")) == "OFFICIAL-SENSITIVE"
    assert text_of(page.find(id="marking-foot")) == "OFFICIAL-SENSITIVE"
    acknowledged = text_of(page.find(id="acknowledged"))
    assert acknowledged.endswith("by Jo Patel") and acknowledged != "Not yet acknowledged"
    [row] = page.find("table", id="recorded-actions").tbody.find_all("tr")
    assert text_of(row.find("th")) == "Support in school"
    assert "Daily check-in with the class teacher." in text_of(row)
    assert text_of(page.find(id="no-chronology")).endswith("at your setting.")
    # The notification page says who too.
    assert text_of(soup_of(client.get(f"/notifications/{notification_id}")).find(id="acknowledged-at")).startswith("Acknowledged at")
    assert "by Jo Patel" in text_of(soup_of(client.get(f"/notifications/{notification_id}")).find(id="acknowledged-at"))


def test_print_view_says_your_settings_only_for_someone_with_more_than_one(client, post_incident, key_adult, sign_in):
    key_adult(BRIMINGTON_JUNIOR)
    sign_in(client, key_adult(BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, role="deputy"))
    notification_id = post_incident()["C1"]["id"]
    page = soup_of(client.get(f"/notifications/{notification_id}/print"))
    assert text_of(page.find(id="no-chronology")).endswith("at your settings.")


def test_the_repeat_warning_counts_incidents_not_notifications_and_not_ones_police_withdrew(
        client, post_incident, key_adult, sign_in, police_key):
    """Found in review: the count was of notifications. One incident naming two of the Key Adult's settings counted
    twice, and an incident police withdrew (the wrong child) still counted, so a child with two incidents was shown
    as a repeat. Now: this child's incidents, once each, police withdrawals left out."""
    sign_in(client, key_adult(BRIMINGTON_JUNIOR, SWANWICK_PRIMARY))
    now = datetime.now(UTC)
    post_incident(child_entry(other_settings=[{"setting_urn": SWANWICK_PRIMARY}]), occurred_at=now - timedelta(days=70))
    wrong_child = post_incident(child_entry(), occurred_at=now - timedelta(days=30))["C1"]["id"]
    withdrawn = client.post(f"/api/v1/notifications/{wrong_child}/withdrawal", json={"reason": "wrong_child"},
                            headers={"Authorization": f"Bearer {police_key}"})
    assert withdrawn.status_code == 200
    latest = post_incident(child_entry(), occurred_at=now - timedelta(hours=8))["C1"]["id"]

    page = soup_of(client.get(f"/notifications/{latest}"))
    assert page.find(id="repeat-warning") is None, text_of(page.find(id="repeat-warning"))
    inbox = soup_of(client.get("/notifications"))
    assert inbox.find(class_="repeat-flag") is None

    # A third incident, at either setting, makes it a repeat: three incidents, each counted once.
    third = post_incident(child_entry(urn=SWANWICK_PRIMARY), occurred_at=now - timedelta(hours=2))["C1"]["id"]
    page = soup_of(client.get(f"/notifications/{third}"))
    assert "about this child in 3 incidents in the 3 months" in text_of(page.find(id="repeat-warning"))


def test_a_corrected_incident_is_still_one_incident_in_the_repeat_count(client, post_incident, key_adult, sign_in):
    """Found in review: counting by stored incident counted versions. A correction that no longer names one of the
    settings leaves that setting's notification with the first version, so one police incident counted twice."""
    sign_in(client, key_adult(BRIMINGTON_JUNIOR, SWANWICK_PRIMARY))
    now = datetime.now(UTC)
    earlier = now - timedelta(days=70)
    post_incident(child_entry(other_settings=[{"setting_urn": SWANWICK_PRIMARY}]), occurred_at=earlier,
                  reference="DC-REPEAT-1")
    post_incident(child_entry(), occurred_at=earlier, reference="DC-REPEAT-1", summary="Corrected: one school only.")
    latest = post_incident(child_entry(), occurred_at=now - timedelta(hours=8), reference="DC-REPEAT-2")["C1"]["id"]

    page = soup_of(client.get(f"/notifications/{latest}"))
    assert page.find(id="repeat-warning") is None, text_of(page.find(id="repeat-warning"))
    assert soup_of(client.get("/notifications")).find(class_="repeat-flag") is None
