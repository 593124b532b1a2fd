"""Portal pages are accessible GOV.UK pages; forms refuse posts without this browser's CSRF token."""

import pytest

ANONYMOUS_PAGES = ["/sign-in", "/sign-in?notice=signed_out", "/forgot-password", "/forgot-password/sent", "/session-ended",
                   "/invitation/not-a-real-token", "/reset-password/not-a-real-token", "/no-such-page"]


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_pages_have_a_title_one_h1_unique_ids_labels_and_csrf_in_forms(client, check_page, path):
    check_page(client.get(path))


def test_admin_page_passes_the_same_checks_with_a_reset_link_per_account(client, make_user, sign_in, check_page):
    admin = make_user("admin")
    make_user("setting_staff", urns=("112517",))
    make_user("setting_staff", urns=("112518",))
    sign_in(client, admin)
    soup = check_page(client.get("/admin"))
    # Each leads to a page that asks for the admin's password before resetting anything.
    assert len(soup.select("a[href$='/reset-two-factor']")) == 3


def test_sign_in_fields_say_what_browsers_and_password_managers_should_fill(client):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get("/sign-in").text, "html.parser")
    assert soup.find("input", id="email")["autocomplete"] == "username"
    assert soup.find("input", id="password")["autocomplete"] == "current-password"
    assert soup.find("a", class_="govuk-skip-link")["href"] == "#main-content" and soup.find("main", id="main-content")


def _sign_in_post(client, **data):
    return client.post("/sign-in", data={"email": "someone@example.sch.uk", "password": "whatever-it-is", **data}, follow_redirects=False)


def test_post_without_csrf_token_is_refused(client, db):
    client.get("/sign-in")
    response = _sign_in_post(client)
    assert response.status_code == 400 and "This form has expired" in response.text


def test_post_with_a_token_from_another_browser_is_refused(client, app, csrf_from):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://encompass.test") as other:
        foreign_token = csrf_from(other.get("/sign-in"))
    client.get("/sign-in")
    assert _sign_in_post(client, csrf_token=foreign_token).status_code == 400


def test_token_from_before_sign_in_stops_working_after_it(client, make_user, sign_in, csrf_from):
    admin = make_user("admin")
    colleague = make_user("setting_staff", urns=("112517",))
    before = csrf_from(client.get("/sign-in"))
    sign_in(client, admin)
    response = client.post(f"/admin/users/{colleague.id}/reset-two-factor", data={"csrf_token": before}, follow_redirects=False)
    assert response.status_code == 400


def test_setting_staff_and_officers_get_not_found_for_admin_pages(client, make_user, sign_in, check_page):
    for user in (make_user("setting_staff", urns=("112517",)), make_user("la_officer", la_codes=("830",))):
        client.cookies.clear()
        sign_in(client, user)
        response = client.get("/admin")
        assert response.status_code == 404
        check_page(response)


def test_portal_not_found_is_a_page_but_the_api_keeps_problem_json(client):
    assert client.get("/no-such-page").headers["content-type"].startswith("text/html")
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
