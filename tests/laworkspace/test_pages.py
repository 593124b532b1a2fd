"""The officer's pages through the app: queues, working an item without JavaScript, configuration, Key Adults."""

from sqlmodel import select

from service.accounts.models import SettingMembership, User
from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.localauthorities.models import LocalAuthority
from service.notifications.models import Notification
from tests.laworkspace.conftest import AMBIGUOUS_NAME, ASHOVER_PRIMARY, BRIMINGTON_JUNIOR, child_entry


def test_landing_page_counts_each_queue(officer_client, post_incident, check_page):
    post_incident(child_entry("C1"), child_entry("C2", education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    client, _ = officer_client("830")
    soup = check_page(client.get("/la"))
    counts = {row.find("a").get_text(strip=True): row.find_all("td")[-1].get_text(strip=True)
              for row in soup.select("#queue-counts tbody tr")}
    assert counts["Children not in school"] == "1"
    assert counts["Setting to be resolved"] == "1"
    assert counts["Escalated: not acknowledged in time"] == "0"


def test_queue_page_shows_the_reason_and_the_candidate_settings_with_scores(officer_client, post_incident, check_page):
    [sent] = post_incident(child_entry("C1", given_name="Rowan", education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    client, _ = officer_client("830")
    soup = check_page(client.get("/la/queues/to_resolve"))
    [row] = soup.select("#queue-items tr.queue-item")
    assert row.find("a")["href"] == f"/la/notifications/{sent['id']}"
    assert "Rowan" in row.get_text()
    assert "more than one setting" in row.select_one(".routing-reason").get_text()
    candidates = [li.get_text(" ", strip=True) for li in row.select(".routing-candidates li")]
    assert len(candidates) == 3 and all("score 100" in c for c in candidates)


def test_queue_filters_work_from_the_query_string(officer_client, post_incident, check_page):
    post_incident(child_entry("C1", given_name="Homer", education_status="elective_home_education"),
                  child_entry("C2", given_name="Missy", education_status="missing_education"))
    client, _ = officer_client("830")
    soup = check_page(client.get("/la/queues/not_in_school?education_status=missing_education"))
    names = [row.find("a").get_text() for row in soup.select("tr.queue-item")]
    assert names == ["Missy Brookes"]
    assert soup.find("select", id="education_status").find("option", selected=True)["value"] == "missing_education"


def test_unknown_queue_is_not_found(officer_client):
    client, _ = officer_client("830")
    assert client.get("/la/queues/everything").status_code == 404


def _item(client, notification_id, **params):
    return client.get(f"/la/notifications/{notification_id}", params=params)


def test_reroute_through_the_pages_without_javascript(officer_client, post_incident, onboard, form_token, check_page, db):
    [sent] = post_incident(child_entry("C1", education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    onboard(ASHOVER_PRIMARY)
    client, user = officer_client("830")

    # The search box is a plain GET form; each result has a "Send to this setting" link to a confirmation page.
    page = _item(client, sent["id"], setting_search="Ashover Primary")
    soup = check_page(page)
    assert soup.find("form", id="setting-search-form")["method"] == "get"
    send = soup.select_one(f'#setting-results a[data-urn="{ASHOVER_PRIMARY}"]')
    assert send.get_text(strip=True).startswith("Send to this setting")

    confirm = client.get(send["href"])
    check_page(confirm)
    response = client.post(send["href"], data={
        "csrf_token": form_token(confirm, "reroute-confirm-form"),
        "reroute-setting-reason": "Confirmed on roll by the school office.",
    }, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/la/queues/to_resolve"
    queue = check_page(client.get("/la/queues/to_resolve"))
    assert "Re-routed to Ashover Primary School" in queue.get_text()
    assert not queue.select("tr.queue-item")

    db.expire_all()
    assert db.get(Notification, sent["id"]).recipient_urn == ASHOVER_PRIMARY
    assert db.exec(select(OutboxMessage).where(OutboxMessage.audience == "setting", OutboxMessage.audience_ref == ASHOVER_PRIMARY)).first()
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "notification.rerouted", AuditEvent.actor_id == str(user.id))).first()

    # The setting is in the officer's LA, so the item can still be opened: the original decision is still there.
    after = check_page(_item(client, sent["id"]))
    decision = after.find(id="original-decision").get_text(" ", strip=True)
    assert "more than one setting" in decision
    assert len(after.select("#original-candidates tbody tr")) == 3
    assert "Ashover Primary School" in after.find(id="current-owner").get_text()
    assert "Confirmed on roll by the school office." in after.find(id="outcome-list").get_text()


def test_reroute_without_a_reason_shows_the_error_summary(officer_client, post_incident, form_token, check_page, db):
    [sent] = post_incident(child_entry("C1"))
    client, _ = officer_client("830")
    page = _item(client, sent["id"])
    response = client.post(f"/la/notifications/{sent['id']}/reroute", data={
        "csrf_token": form_token(page, "reroute-la-form"), "target": "la", "reroute-la-code": "831", "reroute-la-reason": "",
    })
    assert response.status_code == 400
    soup = check_page(response)
    assert soup.title.get_text().startswith("Error:")
    summary = soup.select_one(".govuk-error-summary")
    assert summary.find("a", href="#reroute-la-reason")
    assert soup.find(id="reroute-la-reason-error")
    db.expire_all()
    assert db.get(Notification, sent["id"]).recipient_la_code == "830"


def test_posting_without_the_csrf_token_changes_nothing(officer_client, post_incident, db):
    [sent] = post_incident(child_entry("C1"))
    client, _ = officer_client("830")
    response = client.post(f"/la/notifications/{sent['id']}/reroute", data={
        "target": "la", "reroute-la-code": "831", "reroute-la-reason": "Moved"})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Notification, sent["id"]).recipient_la_code == "830"


def test_assign_acknowledge_and_close_through_the_pages(officer_client, officer, post_incident, form_token, check_page, db):
    [sent] = post_incident(child_entry("C1"))
    colleague = officer("830", name="Priya Colleague")
    client, _ = officer_client("830")
    page = _item(client, sent["id"])
    client.post(f"/la/notifications/{sent['id']}/assign", data={
        "csrf_token": form_token(page, "assign-form"), "assigned-officer": str(colleague.id)})
    page = _item(client, sent["id"])
    assert "Priya Colleague" in check_page(page).find(id="current-owner").get_text()

    page = client.post(f"/la/notifications/{sent['id']}/acknowledge", data={"csrf_token": form_token(page, "acknowledge-form")})
    assert page.status_code == 200 and "Notification acknowledged." in page.text
    assert "Not yet" not in check_page(page).find(id="current-owner").get_text()

    soup = check_page(client.post(f"/la/notifications/{sent['id']}/outcome", data={
        "csrf_token": form_token(page, "outcome-form"), "outcome": "no_further_action", "outcome-note": "Known to EHE team.",
        "outcome-close": "yes"}))
    assert "left the queue" in soup.get_text()
    assert soup.find("form", id="reroute-la-form") is None  # closed: nothing left to do but add notes
    db.expire_all()
    assert db.get(Notification, sent["id"]).status == "closed"


def test_officer_edits_their_la_configuration_with_checks_and_audit(forces, officer_client, form_token, check_page, db):
    client, user = officer_client("830")
    page = client.get("/la/authorities/830/configuration")
    form = {field["name"]: field.get("value", "") for field in check_page(page).select("#configuration-form input")
            if field.get("type") not in ("radio",)}
    form.update({"holidays": "2026-12-21 to 2027-01-01, Christmas", "holiday_cover": "yes", "early_years_notifications": "no",
                 "school_day_start": "8.50", "csrf_token": form_token(page, "configuration-form")})

    bad = client.post("/la/authorities/830/configuration", data={**form, "grace_minutes": "ninety", "threshold_document_url": "www.x"})
    assert bad.status_code == 400
    summary_links = [a["href"] for a in check_page(bad).select(".govuk-error-summary a")]
    assert summary_links == ["#threshold_document_url", "#grace_minutes"]

    good = client.post("/la/authorities/830/configuration", data={**form, "grace_minutes": "60"}, follow_redirects=False)
    assert good.status_code == 303
    db.expire_all()
    authority = db.get(LocalAuthority, "830")
    assert (authority.school_day_start, authority.grace_minutes) == ("08:50", 60)
    assert authority.holidays == [{"first_day": "2026-12-21", "last_day": "2027-01-01", "name": "Christmas"}]
    [audit] = db.exec(select(AuditEvent).where(AuditEvent.action == "local_authority.configured")).all()
    assert audit.actor_id == str(user.id) and "grace_minutes" in audit.detail["fields"]

    assert client.get("/la/authorities/891/configuration").status_code == 404


def test_removing_a_settings_last_active_key_adult_is_warned_about_first(officer_client, make_user, check_page):
    client, _ = officer_client("830")
    only = make_user("setting_staff", urns=[BRIMINGTON_JUNIOR], display_name="Sam Only")
    warning = check_page(client.get(f"/la/key-adults/{only.id}/deactivate")).find(id="removal-last-key-adult")
    assert warning is not None and "Brimington Junior School (URN 112517) will then have no active Key Adult" in warning.get_text()

    make_user("setting_staff", urns=[BRIMINGTON_JUNIOR], display_name="Second Lead")
    assert check_page(client.get(f"/la/key-adults/{only.id}/deactivate")).find(id="removal-last-key-adult") is None
    assert client.get("/la/key-adults/999999/deactivate").status_code == 404


def test_officer_invites_and_deactivates_key_adults_only_in_their_area(officer_client, onboard, form_token, check_page, db):
    client, _ = officer_client("830")
    page = client.get("/la/key-adults", params={"setting_search": "Brimington Junior"})
    soup = check_page(page)
    assert soup.find("input", attrs={"name": "invite-urn", "value": BRIMINGTON_JUNIOR})
    response = client.post("/la/key-adults/invite", data={
        "csrf_token": form_token(page, "invite-form"), "invite-urn": BRIMINGTON_JUNIOR, "invite-email": "dsl@brimington.example.sch.uk",
        "invite-name": "Dana Lead", "invite-role": "key_adult", "setting_search": "Brimington Junior"}, follow_redirects=False)
    assert response.status_code == 303
    db.expire_all()
    invited = db.exec(select(User).where(User.email == "dsl@brimington.example.sch.uk")).one()
    assert db.get(SettingMembership, (invited.id, BRIMINGTON_JUNIOR)).role == "key_adult"
    assert db.exec(select(OutboxMessage).where(OutboxMessage.template == "invitation", OutboxMessage.audience_ref == str(invited.id))).first()

    # A Nottinghamshire setting cannot be chosen, even by posting its URN directly.
    page = client.get("/la/key-adults", params={"setting_search": "Brimington Junior"})
    refused = client.post("/la/key-adults/invite", data={
        "csrf_token": form_token(page, "invite-form"), "invite-urn": "122403", "invite-email": "x@example.sch.uk",
        "invite-name": "X", "invite-role": "deputy"})
    assert refused.status_code == 400 and check_page(refused).select_one(".govuk-error-summary a[href='#invite-urn']")

    # Removing access asks first: the row's link opens a confirmation page, which names what is removed.
    link = check_page(client.get("/la/key-adults")).find("a", id=f"deactivate-{invited.id}-{BRIMINGTON_JUNIOR}")
    confirm = client.get(link["href"])
    soup = check_page(confirm)
    assert soup.find("h1").get_text(strip=True) == "Remove Dana Lead’s access?"
    assert [li.get_text(strip=True) for li in soup.select("#removal-settings li")] == [f"Brimington Junior School (URN {BRIMINGTON_JUNIOR})"]
    assert soup.find(id="removal-last-key-adult") is None  # only invited: the setting had no active Key Adult anyway
    db.expire_all()
    assert db.get(User, invited.id).is_active is True, "opening the page changes nothing"
    response = client.post(f"/la/key-adults/{invited.id}/deactivate",
                           data={"csrf_token": form_token(confirm, "remove-access-form")}, follow_redirects=False)
    assert response.status_code == 303
    db.expire_all()
    assert db.get(User, invited.id).is_active is False

    nottingham_dsl = onboard("122403")
    page = client.get("/la/key-adults", params={"setting_search": "Brimington Junior"})
    assert client.post(f"/la/key-adults/{nottingham_dsl.id}/deactivate", data={"csrf_token": _any_token(page)}).status_code == 404
    db.expire_all()
    assert db.get(User, nottingham_dsl.id).is_active is True


def _any_token(page) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})["value"]


def test_a_notification_sent_back_by_a_setting_reaches_the_sent_back_queue_with_its_note(
        officer_client, post_incident, onboard, check_page, db):
    from datetime import UTC, datetime

    from service.keyadult.service import SEND_BACK, StaffMember, record_action

    key_adult = onboard(BRIMINGTON_JUNIOR)
    [sent] = post_incident(child_entry("C1", education_status="attends_setting", setting_urn=BRIMINGTON_JUNIOR))
    record_action(db, staff=StaffMember(user_id=key_adult.id, urns=frozenset({BRIMINGTON_JUNIOR})), notification_id=sent["id"],
                  action=SEND_BACK, note="Left us in July for a school in Derby.", now=datetime.now(UTC))
    db.commit()
    client, _ = officer_client("830")
    queue = check_page(client.get("/la/queues/sent_back"))
    [row] = queue.select("tr.queue-item")
    assert row.find("a")["href"] == f"/la/notifications/{sent['id']}"
    item = check_page(client.get(f"/la/notifications/{sent['id']}"))
    outcomes = item.find(id="outcome-list").get_text(" ", strip=True)
    assert "Not on our roll" in outcomes and "Left us in July" in outcomes
    assert item.find("form", id="reroute-la-form")


def test_a_queue_row_leads_with_a_short_why_and_keeps_the_full_reason_folded(officer_client, post_incident, check_page):
    """An officer scans the column down the page: each row starts with a few words, and the routing's long
    sentence is there on request."""
    [ambiguous] = post_incident(child_entry("C1", education_status="attends_setting", setting_name=AMBIGUOUS_NAME))
    client, _ = officer_client("830")
    [row] = check_page(client.get("/la/queues/to_resolve")).select("tr.queue-item")
    why = row.select_one(".routing-reason")
    assert why.find(class_="why-headline").get_text(strip=True) == "Setting name could mean more than one setting"
    folded = why.find("details")
    assert folded.find("summary").get_text(" ", strip=True) == f"Full routing reason for {row.find('a').get_text(strip=True)}"
    assert ambiguous["routing"]["reason"] in folded.get_text(" ", strip=True)
    assert ambiguous["routing"]["reason"] not in why.get_text(" ", strip=True).replace(folded.get_text(" ", strip=True), "")


def test_a_not_onboarded_row_names_the_setting_it_waits_for(officer_client, post_incident, check_page):
    [held] = post_incident(child_entry("C1", education_status="attends_setting", urn=ASHOVER_PRIMARY))
    client, _ = officer_client("830")
    [row] = check_page(client.get("/la/queues/not_onboarded")).select("tr.queue-item")
    why = row.select_one(".routing-reason")
    assert why.find(class_="why-headline").get_text(strip=True) == "Setting has no active Key Adult"
    assert why.find(class_="why-waiting").get_text(" ", strip=True) == (
        f"Waiting for a Key Adult at Ashover Primary School (URN {ASHOVER_PRIMARY})")
    assert not why.select(".routing-candidates")


def test_a_child_not_in_school_is_headed_by_their_education_status(officer_client, post_incident, check_page):
    post_incident(child_entry("C1", education_status="elective_home_education"))
    client, _ = officer_client("830")
    [row] = check_page(client.get("/la/queues/not_in_school")).select("tr.queue-item")
    assert row.select_one(".routing-reason .why-headline").get_text(strip=True) == "Elective home education"
