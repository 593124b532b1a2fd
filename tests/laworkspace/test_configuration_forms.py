"""The LA's configuration and invite forms as an officer fills them in: one-day holidays, every bad line reported,
clear month errors, inputs wide enough for a whole address, and error summaries in the form's order."""

from service.localauthorities.models import LocalAuthority
from service.localauthorities.service import parse_holidays_text


def _configuration_form(client, check_page, form_token) -> tuple[object, dict]:
    page = client.get("/la/authorities/830/configuration")
    form = {field["name"]: field.get("value", "") for field in check_page(page).select("#configuration-form input")
            if field.get("type") not in ("radio",)}
    form.update({"holiday_cover": "no", "early_years_notifications": "no", "csrf_token": form_token(page, "configuration-form")})
    return page, form


def test_a_single_day_holiday_is_one_date(forces, officer_client, check_page, form_token, db):
    client, _ = officer_client("830")
    _, form = _configuration_form(client, check_page, form_token)
    saved = client.post("/la/authorities/830/configuration", data={
        **form, "holidays": "2026-11-27, INSET day\n2026-12-21 to 2027-01-01, Christmas holiday"}, follow_redirects=False)
    assert saved.status_code == 303
    db.expire_all()
    assert db.get(LocalAuthority, "830").holidays == [
        {"first_day": "2026-11-27", "last_day": "2026-11-27", "name": "INSET day"},
        {"first_day": "2026-12-21", "last_day": "2027-01-01", "name": "Christmas holiday"}]
    # Shown again as the officer would type it.
    shown = check_page(client.get("/la/authorities/830/configuration")).find("textarea", id="holidays").get_text()
    assert shown.strip().splitlines() == ["2026-11-27, INSET day", "2026-12-21 to 2027-01-01, Christmas holiday"]


def test_every_bad_holiday_line_is_reported_and_a_bad_month_says_so(forces, officer_client, check_page, form_token):
    client, _ = officer_client("830")
    _, form = _configuration_form(client, check_page, form_token)
    bad = client.post("/la/authorities/830/configuration", data={**form, "holidays": (
        "2026-10-26 to 2026-10-30, Half term\n27/11/2026 INSET day\n2027-13-01, Training day\n2027-02-30, Staff day")})
    assert bad.status_code == 400
    soup = check_page(bad)
    message = soup.select_one("#holidays-error").get_text(" ", strip=True)
    assert "Line 2:" in message and "Line 3:" in message and "Line 4:" in message and "Line 1:" not in message
    assert "13 is not a month" in message
    assert "2027-02-30 is not a real date" in message
    assert soup.select_one(".govuk-error-summary a[href='#holidays']")


def test_holiday_lines_checked_one_by_one():
    holidays, problem = parse_holidays_text("2026-11-27\n2026-12-21 - 2027-01-01 Christmas")
    assert problem is None and [h["last_day"] for h in holidays] == ["2026-11-27", "2027-01-01"]
    _, problem = parse_holidays_text("2026-12-05 to 2026-12-01, Backwards\n2026-00-10, Nothing\n2026-01-01 to 2026-06-01")
    lines = problem.split("\n")
    assert [line.split(":")[0] for line in lines] == ["Line 1", "Line 2", "Line 3"]
    assert "last day must be the same as or after" in lines[0] and "00 is not a month" in lines[1]
    assert "longer than" in lines[2]


def test_web_address_and_email_inputs_are_full_width(forces, officer_client, check_page, form_token):
    client, _ = officer_client("830")
    soup = check_page(client.get("/la/authorities/830/configuration"))
    for field_id in ("education_team_email", "threshold_document_url", "social_care_front_door_url"):
        assert "govuk-!-width-full" in soup.find("input", id=field_id)["class"], field_id


def test_the_invite_error_summary_follows_the_form_order(officer_client, check_page, form_token):
    client, _ = officer_client("830")
    page = client.get("/la/key-adults", params={"setting_search": "Brimington"})
    form = check_page(page).find("form", id="invite-form")
    field_order = [f["id"] for f in form.select("input[type=text], input[type=email]")]
    response = client.post("/la/key-adults/invite", data={
        "csrf_token": form_token(page, "invite-form"), "setting_search": "Brimington", "invite-urn": "",
        "invite-name": "", "invite-email": "", "invite-role": ""})
    assert response.status_code == 400
    summary = [a["href"] for a in check_page(response).select(".govuk-error-summary a")]
    assert summary == ["#invite-urn", "#invite-name", "#invite-email", "#invite-role"]
    assert field_order == ["invite-name", "invite-email"]  # the name comes before the email on the form
