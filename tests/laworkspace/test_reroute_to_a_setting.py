"""Sending a notification to a setting from the routing candidates or the register search, through a confirmation page."""

from sqlmodel import select

from service.audit.models import AuditEvent
from service.notifications.models import Notification, NotificationAction
from tests.laworkspace.conftest import AMBIGUOUS_NAME, ASHOVER_PRIMARY, child_entry

BOLSOVER_INFANT = "112511"  # Derbyshire, ages 2 to 7
ST_ANNES_BASLOW = "112800"


def _item(client, notification_id, **params):
    return client.get(f"/la/notifications/{notification_id}", params=params)


def _unplaced_child(post_incident, age=9):
    [sent] = post_incident(child_entry("C1", age=age, education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    return sent


def test_each_routing_candidate_has_a_send_button_leading_to_its_confirmation(
        officer_client, post_incident, onboard, check_page, db):
    sent = _unplaced_child(post_incident)
    for candidate in db.get(Notification, sent["id"]).routing_candidates:
        onboard(candidate["urn"])
    client, _ = officer_client("830")
    soup = check_page(_item(client, sent["id"]))
    rows = soup.select("#original-candidates tbody tr")
    assert len(rows) == 3
    for row in rows:
        button = row.select_one("a[data-urn]")
        assert button.get_text(" ", strip=True).startswith("Send to this setting")
        urn = button["data-urn"]
        assert f"URN {urn}" in row.get_text()
        assert button["href"] == f"/la/notifications/{sent['id']}/reroute/{urn}"
        confirm = check_page(client.get(button["href"]))
        assert f"URN {urn}" in confirm.find(id="reroute-setting").get_text()
        assert confirm.find("textarea", id="reroute-setting-reason")


def test_the_search_finds_a_name_in_a_town_and_shows_where_each_setting_is(officer_client, post_incident, check_page):
    sent = _unplaced_child(post_incident)
    client, _ = officer_client("830")
    soup = check_page(_item(client, sent["id"], setting_search="St Anne's Baslow"))
    rows = soup.select("#setting-results tbody tr")
    assert rows, "St Anne's in Baslow should be found"
    first = {td["data-label"]: td.get_text(" ", strip=True) for td in rows[0].find_all("td")}
    assert f"URN {ST_ANNES_BASLOW}" in first["Setting"]
    assert "Baslow, DE45" in first["Where"] and "home local authority" in first["Where"]
    assert first["Phase and ages"] == "Primary, ages 4 to 11"


def test_the_search_puts_the_home_la_first_and_leaves_out_settings_that_do_not_take_the_child(
        officer_client, post_incident, check_page):
    sent = _unplaced_child(post_incident, age=10)
    client, _ = officer_client("830")
    soup = check_page(_item(client, sent["id"], setting_search="St Anne's"))
    rows = soup.select("#setting-results tbody tr")
    where = [row.find("td", attrs={"data-label": "Where"}).get_text(" ", strip=True) for row in rows]
    homes = [i for i, text in enumerate(where) if "home local authority" in text]
    assert homes and homes == list(range(len(homes))), where
    assert "St Anne's Catholic Primary School" in rows[0].get_text() or "St Anne's CofE Primary School" in rows[0].get_text()
    ages = [row.find("td", attrs={"data-label": "Phase and ages"}).get_text(strip=True) for row in rows]
    assert not any(age.endswith("to 7") for age in ages), ages  # infant schools cannot take a 10-year-old


def test_a_reroute_outside_the_setting_age_range_is_refused_with_a_clear_error(
        officer_client, post_incident, onboard, form_token, check_page, db):
    sent = _unplaced_child(post_incident, age=10)
    onboard(BOLSOVER_INFANT)
    client, _ = officer_client("830")
    url = f"/la/notifications/{sent['id']}/reroute/{BOLSOVER_INFANT}"
    confirm = client.get(url)
    assert "does not take children of this age" in check_page(confirm).get_text()

    response = client.post(url, data={"csrf_token": form_token(confirm, "reroute-confirm-form"),
                                      "reroute-setting-reason": "The office said so."})

    assert response.status_code == 400
    soup = check_page(response)
    assert soup.title.get_text().startswith("Error:")
    link = soup.select_one(".govuk-error-summary").find("a", href="#reroute-age-override")
    assert "aged 2 to 7" in link.get_text() and "the child was 10" in link.get_text()
    db.expire_all()
    assert db.get(Notification, sent["id"]).recipient_urn is None


def test_the_age_override_with_a_reason_reroutes_and_is_audited(
        officer_client, post_incident, onboard, form_token, check_page, db):
    sent = _unplaced_child(post_incident, age=10)
    onboard(BOLSOVER_INFANT)
    client, user = officer_client("830")
    url = f"/la/notifications/{sent['id']}/reroute/{BOLSOVER_INFANT}"
    confirm = client.get(url)

    response = client.post(url, data={"csrf_token": form_token(confirm, "reroute-confirm-form"),
                                      "reroute-age-override": "yes",
                                      "reroute-setting-reason": "Held back a year; the head confirmed it."},
                           follow_redirects=False)

    assert response.status_code == 303
    db.expire_all()
    assert db.get(Notification, sent["id"]).recipient_urn == BOLSOVER_INFANT
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "notification.reroute_age_override",
                                             AuditEvent.actor_id == str(user.id))).one()
    assert event.object_id == sent["id"]
    assert (event.detail["low_age"], event.detail["high_age"], event.detail["child_age"]) == (2, 7, 10)
    # The reason is a note about the child: the audit trail, which is never purged, points to it and keeps no copy.
    assert "Held back a year" not in str(event.detail)
    reason = db.get(NotificationAction, event.detail["reason_action_id"])
    assert (reason.note, reason.recorded_by) == ("Held back a year; the head confirmed it.", user.id)


def test_the_confirmation_needs_a_reason(officer_client, post_incident, onboard, form_token, check_page, db):
    sent = _unplaced_child(post_incident)
    onboard(ASHOVER_PRIMARY)
    client, _ = officer_client("830")
    url = f"/la/notifications/{sent['id']}/reroute/{ASHOVER_PRIMARY}"
    confirm = client.get(url)
    assert not check_page(confirm).find(id="reroute-age-override")

    response = client.post(url, data={"csrf_token": form_token(confirm, "reroute-confirm-form"),
                                      "reroute-setting-reason": " "})

    assert response.status_code == 400
    assert check_page(response).select_one(".govuk-error-summary").find("a", href="#reroute-setting-reason")
    db.expire_all()
    assert db.get(Notification, sent["id"]).recipient_urn is None


def test_the_confirmation_of_another_las_notification_is_not_found(officer_client, post_incident):
    sent = _unplaced_child(post_incident)
    client, _ = officer_client("831")
    assert client.get(f"/la/notifications/{sent['id']}/reroute/{ASHOVER_PRIMARY}").status_code == 404


def _offer(row):
    return row.find("td", attrs={"data-label": "Action"})


def test_a_candidate_nobody_can_sign_in_at_offers_an_invitation_not_a_send_button(
        officer_client, post_incident, check_page, db):
    """Sending a child to a setting with no Key Adult is refused, so the page must not offer it: it says why, and
    leads the officer to invite someone there (their own area) or to the LA that can (another area)."""
    sent = _unplaced_child(post_incident)
    candidates = db.get(Notification, sent["id"]).routing_candidates
    client, _ = officer_client("830")
    soup = check_page(_item(client, sent["id"]))
    rows = soup.select("#original-candidates tbody tr")
    assert len(rows) == len(candidates) == 3
    for row, candidate in zip(rows, candidates):
        offer = _offer(row)
        assert not offer.select("a[data-urn]"), "no send button for a setting nobody can sign in at"
        assert "No Key Adult can sign in here yet" in offer.get_text(" ", strip=True)
        invite = offer.find("a", href=f"/la/key-adults?setting_search={candidate['urn']}#invite")
        if candidate["la_code"] == "830":
            assert invite.get_text(" ", strip=True).startswith("Invite a Key Adult")
            page = check_page(client.get(invite["href"]))
            assert page.find("input", attrs={"name": "invite-urn", "value": candidate["urn"]})
        else:
            assert invite is None
            assert "Ask Derby" in offer.get_text(" ", strip=True)


def test_a_register_result_nobody_can_sign_in_at_offers_an_invitation(officer_client, post_incident, onboard,
                                                                     check_page):
    sent = _unplaced_child(post_incident)
    onboard(ST_ANNES_BASLOW)
    client, _ = officer_client("830")
    soup = check_page(_item(client, sent["id"], setting_search="St Anne's"))
    offers = {row.find("td", attrs={"data-label": "Setting"}).get_text(" ", strip=True): _offer(row)
              for row in soup.select("#setting-results tbody tr")}
    baslow = next(offer for label, offer in offers.items() if f"URN {ST_ANNES_BASLOW}" in label)
    assert baslow.select_one("a[data-urn]")["href"] == f"/la/notifications/{sent['id']}/reroute/{ST_ANNES_BASLOW}"
    others = [offer for label, offer in offers.items() if f"URN {ST_ANNES_BASLOW}" not in label]
    assert others and not any(offer.select("a[data-urn]") for offer in others)
    assert all("No Key Adult can sign in here yet" in offer.get_text(" ", strip=True) for offer in others)


def test_the_confirmation_for_a_setting_nobody_can_sign_in_at_explains_and_offers_no_send(
        officer_client, post_incident, check_page, db):
    sent = _unplaced_child(post_incident)
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{sent['id']}/reroute/{ASHOVER_PRIMARY}"))
    assert not soup.find(id="reroute-confirm-form")
    explained = soup.find(id="no-key-adult").get_text(" ", strip=True)
    assert "nobody there could read it" in explained
    assert "come back to the notification and send it" in explained
    assert soup.find(id="no-key-adult").find("a", href=f"/la/key-adults?setting_search={ASHOVER_PRIMARY}#invite")


def test_the_confirmation_says_a_notification_held_for_that_setting_goes_there_once_it_has_a_key_adult(
        officer_client, post_incident, check_page):
    [sent] = post_incident(child_entry("C1", education_status="attends_setting", urn=ASHOVER_PRIMARY))
    assert sent["routing"]["method"] == "not_onboarded"
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{sent['id']}/reroute/{ASHOVER_PRIMARY}"))
    explained = soup.find(id="no-key-adult").get_text(" ", strip=True)
    assert "goes to its Key Adult by itself" in explained and "come back" not in explained


CLOSED_IN_DERBYSHIRE = "112489"  # Holly House, closed


def test_the_confirmation_for_a_closed_setting_says_so_and_offers_neither_send_nor_invite(
        officer_client, post_incident, check_page):
    sent = _unplaced_child(post_incident)
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{sent['id']}/reroute/{CLOSED_IN_DERBYSHIRE}"))
    assert soup.h1.get_text(" ", strip=True).startswith("You cannot send this notification to")
    assert not soup.find(id="reroute-confirm-form")
    assert "has closed" in soup.find(id="setting-closed").get_text(" ", strip=True)
    assert not soup.select("a[href^='/la/key-adults']")


def test_the_confirmation_for_a_setting_nobody_can_sign_in_at_is_not_headed_as_a_question(
        officer_client, post_incident, check_page):
    sent = _unplaced_child(post_incident)
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/notifications/{sent['id']}/reroute/{ASHOVER_PRIMARY}"))
    heading = soup.h1.get_text(" ", strip=True)
    assert heading.startswith("You cannot send this notification to") and not heading.endswith("?")
    assert soup.title.get_text().startswith("You cannot send this notification")


def test_the_invite_link_opens_the_form_with_that_setting_chosen(officer_client, post_incident, check_page):
    client, _ = officer_client("830")
    soup = check_page(client.get(f"/la/key-adults?setting_search={ASHOVER_PRIMARY}"))
    [choice] = soup.select("input[name='invite-urn']")
    assert choice["value"] == ASHOVER_PRIMARY and choice.has_attr("checked")
