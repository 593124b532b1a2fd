"""What every portal page shares: the beta banner and its feedback link, the footer's accessibility, privacy and cookies
pages (written from the running configuration), who is signed in by name, branding on and off GOV.UK, one date format,
HEAD answered as GET, and emailed links that point where `serve` listens in development."""

import os
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from fastapi.routing import iter_route_contexts
from sqlmodel import select

from service.config import get_settings
from tests.builders import BRIMINGTON_JUNIOR

SWANWICK_PRIMARY = "112500"
SERVICE_PAGES = {"/accessibility": "Accessibility statement", "/privacy": "Privacy notice", "/cookies": "Cookies"}


@pytest.fixture
def configure(monkeypatch):
    """configure(SETTING="value", ...) sets the service's environment as an operator would; the run's settings come back after."""

    def use(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def text_of(tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


# ---------------------------------------------------------------- phase banner and footer


def test_every_page_has_a_beta_banner_whose_feedback_link_comes_from_configuration(client, configure):
    configure(FEEDBACK_URL="https://forms.example.gov.uk/encompass-feedback")
    for path in ("/sign-in", "/privacy", "/no-such-page"):
        banner = soup_of(client.get(path)).find(class_="govuk-phase-banner")
        assert banner is not None, path
        assert text_of(banner.find(class_="govuk-tag")) == "Beta"
        assert banner.find("a", string="Tell us what you think")["href"] == "https://forms.example.gov.uk/encompass-feedback"


def test_the_footer_links_to_the_accessibility_statement_privacy_notice_and_cookies_page(client, check_page):
    footer = soup_of(client.get("/sign-in")).find("footer")
    assert [(a["href"], text_of(a)) for a in footer.find_all("a")] == [
        ("/accessibility", "Accessibility statement"), ("/privacy", "Privacy notice"), ("/cookies", "Cookies")]
    for path, heading in SERVICE_PAGES.items():
        page = check_page(client.get(path))
        assert text_of(page.find("h1")) == heading


def test_the_privacy_notice_gives_retention_periods_and_contacts_from_configuration(client, configure):
    configure(RETENTION_DAYS="400", IDEMPOTENCY_REPLAY_DAYS="7", SESSION_IDLE_MINUTES="20",
              DATA_PROTECTION_EMAIL="dpo@derbyshire.example.gov.uk", SERVICE_OPERATOR="Derbyshire County Council")
    page = soup_of(client.get("/privacy"))
    assert "removed 400 days after the notification is closed" in text_of(page.find(id="retention-child-data"))
    assert "deleted after 7 days" in text_of(page.find(id="retention-police-retries"))
    assert "after 20 minutes without using the portal" in text_of(page.find(id="retention-sessions"))
    assert page.find(id="data-protection-contact")["href"] == "mailto:dpo@derbyshire.example.gov.uk"
    assert "run by Derbyshire County Council" in text_of(page.find("main"))

    configure(RETENTION_DAYS="730")
    assert "removed 2 years after" in text_of(soup_of(client.get("/privacy")).find(id="retention-child-data"))


def test_the_cookies_page_names_the_cookies_the_service_sets(client):
    from service.web.cookies import BROWSER_COOKIE, SESSION_COOKIE

    response = client.get("/sign-in")
    set_by_the_service = {header.split("=", 1)[0] for header in response.headers.get_list("set-cookie")}
    listed = {text_of(row.find("th")) for row in soup_of(client.get("/cookies")).find(id="cookies").tbody.find_all("tr")}
    assert set_by_the_service <= listed == {SESSION_COOKIE, BROWSER_COOKIE}


def test_the_accessibility_statement_gives_the_contact_from_configuration(client, configure):
    configure(CONTACT_EMAIL="access@encompass.example.gov.uk")
    page = soup_of(client.get("/accessibility"))
    assert page.find(id="accessibility-contact")["href"] == "mailto:access@encompass.example.gov.uk"


# ---------------------------------------------------------------- who is signed in


def _signed_in_line(client, path: str) -> str | None:
    line = soup_of(client.get(path)).find(id="signed-in-as")
    return " ".join(line.get_text().split()) if line else None


def test_the_header_names_the_key_adult_and_their_setting(client, make_user, sign_in):
    sign_in(client, make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,), display_name="Sam Patel"))
    assert _signed_in_line(client, "/notifications") == "Signed in as Sam Patel, Brimington Junior School"
    # The service pages are open to everyone, and still say who is signed in.
    assert _signed_in_line(client, "/privacy") == "Signed in as Sam Patel, Brimington Junior School"


def test_a_key_adult_at_two_settings_sees_both_names(client, make_user, sign_in):
    sign_in(client, make_user("setting_staff", urns=(BRIMINGTON_JUNIOR, SWANWICK_PRIMARY), display_name="Jo Smith"))
    line = _signed_in_line(client, "/notifications")
    assert line.startswith("Signed in as Jo Smith, ")
    assert "Brimington Junior School" in line and "Swanwick" in line and " and " in line
    assert BRIMINGTON_JUNIOR not in line and SWANWICK_PRIMARY not in line


def test_the_header_names_the_officers_local_authority_not_its_code(client, forces, make_user, sign_in):
    sign_in(client, make_user("la_officer", la_codes=("830",), display_name="Priya Shah"))
    assert _signed_in_line(client, "/la") == "Signed in as Priya Shah, Derbyshire"


def test_the_header_says_an_admin_is_the_service_administrator(client, make_user, sign_in):
    sign_in(client, make_user("admin", display_name="Alex Jones"))
    assert _signed_in_line(client, "/admin") == "Signed in as Alex Jones, service administrator"


def test_nobody_is_named_when_signed_out(client):
    assert _signed_in_line(client, "/sign-in") is None


def test_a_membership_offer_names_the_local_authority_not_its_code(client, forces, db, make_user, sign_in):
    from service.accounts.offers import offer_membership
    from service.alerts.models import OutboxMessage
    from service.audit.service import Actor
    from tests.security.c_portal import outbox_link

    person = make_user("setting_staff", urns=(SWANWICK_PRIMARY,))
    offer_membership(db, user=person, urn=BRIMINGTON_JUNIOR, role="deputy", by=Actor(type="system", id="test", source="test"),
                     offered_by=None, now=datetime.now(UTC))
    db.commit()
    [email] = db.exec(select(OutboxMessage).where(OutboxMessage.template == "membership_offer")).all()
    sign_in(client, person)
    main = soup_of(client.get("/membership/" + outbox_link(email).rsplit("/membership/", 1)[1])).find("main")
    assert "Derbyshire local authority has asked you" in text_of(main)
    assert "830" not in text_of(main.find("p"))


# ---------------------------------------------------------------- branding


def _branding_of(response) -> dict:
    page = soup_of(response)
    return {
        "title": page.find("title").get_text(strip=True),
        "crown": page.find(class_=["govuk-header__logotype", "govuk-footer__crown", "govuk-logo"]) is not None,
        "govuk_header": page.find(class_="govuk-header") is not None,
        "service_name_in_header": text_of(page.find("header")).startswith("Operation Encompass"),
        "crown_copyright": "Crown copyright" in text_of(page.find("footer")),
        "open_government_licence": "Open Government Licence" in text_of(page.find("footer")),
        "govuk_icons": page.find("link", href=lambda href: href and "govuk-icon" in href) is not None,
        "footer_links": [a["href"] for a in page.find("footer").find_all("a") if a["href"].startswith("/")],
    }


def test_off_govuk_the_header_shows_the_service_name_only_and_the_footer_has_no_crown_copyright(client):
    assert get_settings().service_on_govuk is False, "the default is a service not on GOV.UK"
    branding = _branding_of(client.get("/sign-in"))
    assert branding["title"] == "Sign in – Operation Encompass"
    assert branding["service_name_in_header"] and not branding["govuk_header"]
    assert not branding["crown"] and not branding["crown_copyright"] and not branding["open_government_licence"]
    assert not branding["govuk_icons"]
    assert branding["footer_links"] == ["/accessibility", "/privacy", "/cookies"]


def test_on_govuk_the_page_has_the_govuk_header_footer_and_title(client, configure):
    configure(SERVICE_ON_GOVUK="true")
    branding = _branding_of(client.get("/sign-in"))
    assert branding["title"] == "Sign in – Operation Encompass – GOV.UK"
    assert branding["govuk_header"] and branding["crown"] and branding["crown_copyright"] and branding["govuk_icons"]
    assert branding["footer_links"] == ["/accessibility", "/privacy", "/cookies"]
    navigation = soup_of(client.get("/sign-in")).find(class_="govuk-service-navigation")
    assert "Operation Encompass" in text_of(navigation), "on GOV.UK the service name sits in the service navigation"


# ---------------------------------------------------------------- one date format


def test_every_date_filter_writes_the_one_format_in_london_time():
    from service import wording

    summer_morning = datetime(2026, 7, 14, 9, 5, tzinfo=UTC)  # 10:05am in London (British Summer Time)
    moments = {wording.date_and_time, wording.time_on_day, wording.day_at_time, wording.short_day_at_time}
    assert {show(summer_morning) for show in moments} == {"14 July 2026 at 10:05am"}
    assert {show(summer_morning.date()) for show in (wording.date_shown, wording.long_date, wording.short_date)} == {"14 July 2026"}
    assert wording.date_and_time(datetime(2026, 12, 24, 23, 30, tzinfo=UTC)) == "24 December 2026 at 11:30pm"


def test_the_sessions_page_writes_times_in_the_one_format(client, make_user, sign_in):
    import re

    sign_in(client, make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,)))
    cells = [text_of(td) for td in soup_of(client.get("/account/sessions")).find("table").tbody.find_all("td")]
    times = [cell for cell in cells if " at " in cell]
    assert times and all(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4} at \d{1,2}:\d{2}(am|pm)", cell) for cell in times), cells


# ---------------------------------------------------------------- HEAD


def _get_routes_without_parameters(app) -> list[str]:
    return sorted({route.path for route in iter_route_contexts(app.routes)
                   if route.methods and "GET" in route.methods and "{" not in route.path})


def test_head_answers_as_get_does_on_every_get_route(app, client):
    paths = _get_routes_without_parameters(app)
    assert "/sign-in" in paths and "/privacy" in paths and "/healthz" in paths
    for path in paths:
        got = client.get(path, follow_redirects=False)
        head = client.head(path, follow_redirects=False)
        assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        assert head.headers.get("location") == got.headers.get("location"), path
        assert head.content == b"", path


def test_head_answers_a_signed_in_page_and_a_static_file(client, make_user, sign_in):
    sign_in(client, make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,)))
    head = client.head("/notifications")
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/html") and head.content == b""
    assert int(head.headers["content-length"]) > 1000
    assert client.head("/static/app.css").status_code == 200
    assert client.head("/sign-in", follow_redirects=False).headers["content-security-policy"]


def test_head_is_still_refused_where_get_is(client):
    assert client.head("/sign-in/two-factor", follow_redirects=False).status_code == client.get(
        "/sign-in/two-factor", follow_redirects=False).status_code
    assert client.head("/account/sessions/sign-out-others").status_code == 405  # a POST-only route


# ---------------------------------------------------------------- links in emails during development


@pytest.fixture
def serve_without_starting(monkeypatch):
    """Runs `encompass serve` with uvicorn replaced, so the test sees what the service would run with."""
    import uvicorn

    from service.cli import main

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.update(kwargs))

    def serve(*arguments: str) -> dict:
        assert main(["serve", "--no-worker", "--no-migrate", *arguments]) == 0
        return started

    return serve


def test_in_development_links_in_emails_point_at_the_port_served(configure, monkeypatch, serve_without_starting):
    from service.alerts.outbox import notification_link

    configure(ENVIRONMENT="development")
    monkeypatch.delenv("BASE_URL")
    get_settings.cache_clear()
    assert serve_without_starting("--port", "8183")["port"] == 8183
    assert notification_link("abc") == "http://127.0.0.1:8183/notifications/abc"
    assert os.environ["BASE_URL"] == "http://127.0.0.1:8183", "web processes and the worker inherit it"


def test_a_base_url_the_operator_set_is_kept(configure, serve_without_starting):
    from service.alerts.outbox import notification_link

    configure(ENVIRONMENT="development", BASE_URL="https://encompass.dev.example.gov.uk")
    serve_without_starting("--port", "8183")
    assert notification_link("abc") == "https://encompass.dev.example.gov.uk/notifications/abc"


def test_outside_development_base_url_is_never_guessed():
    from service.config import Settings, base_url_for_serving

    for environment in ("test", "production"):
        settings = Settings.model_construct(environment=environment)
        assert base_url_for_serving(settings, {}, host="0.0.0.0", port=8183) is None
    development = Settings.model_construct(environment="development")
    assert base_url_for_serving(development, {}, host="0.0.0.0", port=9000) == "http://127.0.0.1:9000"
    assert base_url_for_serving(development, {}, host="::1", port=9000) == "http://[::1]:9000"


def test_in_development_a_link_built_for_another_local_port_is_sent_for_the_port_served():
    from service.config import Settings, link_as_served

    demo_loaded = "http://127.0.0.1:8000/notifications/abc?from=email"  # built by `demo load` before serve started
    served = Settings.model_construct(environment="development", base_url="http://127.0.0.1:8183")
    assert link_as_served(demo_loaded, served) == "http://127.0.0.1:8183/notifications/abc?from=email"
    assert link_as_served("http://localhost:8000/sign-in", served) == "http://127.0.0.1:8183/sign-in"
    assert link_as_served("https://encompass.example.gov.uk/sign-in", served) == "https://encompass.example.gov.uk/sign-in"
    for environment in ("test", "production"):
        elsewhere = Settings.model_construct(environment=environment, base_url="http://127.0.0.1:8183")
        assert link_as_served(demo_loaded, elsewhere) == demo_loaded
    behind_a_name = Settings.model_construct(environment="development", base_url="https://encompass.dev.example.gov.uk")
    assert link_as_served(demo_loaded, behind_a_name) == demo_loaded, "only ever one local address for another"


def test_the_worker_sends_a_demo_loaded_link_for_the_port_served(db, configure, make_user):
    """`demo load` queues its alerts with links for port 8000; `serve --port 8183` then sends them for 8183."""
    from service.alerts import service as alerts_service
    from service.alerts.models import OutboxMessage
    from service.alerts.outbox import enqueue_alert

    key_adult = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,))
    configure(ENVIRONMENT="development", BASE_URL="http://127.0.0.1:8000")
    enqueue_alert(db, template="notification_waiting", audience="user", audience_ref=str(key_adult.id),
                  link="http://127.0.0.1:8000/notifications/abc")
    db.commit()
    configure(BASE_URL="http://127.0.0.1:8183")
    alert = alerts_service.ClaimedAlert.of(db.exec(select(OutboxMessage)).one())
    delivery = alerts_service.plan_delivery(db, alert, worker_id="test", now=datetime.now(UTC))
    assert (delivery.email_address, delivery.link) == (key_adult.email, "http://127.0.0.1:8183/notifications/abc")
    assert alerts_service.webhook_payload(alert)["link"] == "http://127.0.0.1:8183/notifications/abc"


def test_the_admin_accounts_table_names_settings_and_local_authorities(client, forces, make_user, sign_in):
    make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,), role="deputy", email="deputy.names@example.sch.uk")
    make_user("la_officer", la_codes=("830",), email="officer.names@example.gov.uk")
    sign_in(client, make_user("admin"))
    rows = {text_of(row.find("td")): row for row in soup_of(client.get("/admin")).find(id="accounts").tbody.find_all("tr")}
    places = {email: text_of(row.find("td", attrs={"data-label": "Settings or local authorities"}))
              for email in ("deputy.names@example.sch.uk", "officer.names@example.gov.uk")
              for name, row in rows.items() if email in name}
    assert places == {"deputy.names@example.sch.uk": "Brimington Junior School (deputy)",
                      "officer.names@example.gov.uk": "Derbyshire"}


def test_the_header_keeps_a_long_list_of_places_short_and_periods_read_as_people_say_them():
    from service.servicepages.content import signed_in_as
    from service.wording import days_in_words

    many = {str(urn): f"School {letter}" for urn, letter in zip(range(5), "EDCBA")}
    assert signed_in_as(display_name="Sam", kind="setting_staff", setting_names=many, la_names={}).acting_for == (
        "School A, School B and 3 other settings")
    assert signed_in_as(display_name="Sam", kind="la_officer", setting_names={},
                        la_names={"830": "Derbyshire", "831": "Derby"}).acting_for == "Derby and Derbyshire"
    assert [days_in_words(days) for days in (1, 30, 365, 730, 400)] == ["1 day", "30 days", "1 year", "2 years", "400 days"]
