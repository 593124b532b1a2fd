"""Signing out: our own sign-out link works at once; a sign-out link on another website, or from a browser that does not
say where it came from, only asks the user to confirm."""

import pytest
from sqlmodel import select

from service.accounts.models import PortalSession
from service.accounts.service import sign_out_needs_confirming
from service.audit.models import AuditEvent
from service.web.cookies import SESSION_COOKIE


def _sign_outs(db) -> int:
    db.expire_all()
    return [e.action for e in db.exec(select(AuditEvent))].count("sign_out")


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site", None])
def test_a_sign_out_link_on_another_site_does_not_sign_the_user_out(client, db, make_user, sign_in, check_page, fetch_site):
    key_adult = make_user("setting_staff", urns=("112517",))
    sign_in(client, key_adult)

    # What a browser sends for <img src="https://encompass.test/sign-out"> on someone else's page; with no header at
    # all, nothing shows the request came from one of our pages.
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    response = client.get("/sign-out", headers=headers, follow_redirects=False)

    assert response.status_code == 200
    page = check_page(response)
    assert page.find("h1").get_text(strip=True) == "Sign out"
    form = page.find("form", id="sign-out-form")
    assert (form["method"], form["action"]) == ("post", "/sign-out")
    assert form.find("button", id="sign-out").get_text(strip=True) == "Sign out"
    assert client.get("/notifications", follow_redirects=False).status_code == 200, "still signed in"
    assert _sign_outs(db) == 0


def test_confirming_on_that_page_signs_out_and_the_old_cookie_stops_working(client, db, make_user, sign_in, csrf_from):
    key_adult = make_user("setting_staff", urns=("112517",))
    sign_in(client, key_adult)
    old_cookie = client.cookies[SESSION_COOKIE]
    page = client.get("/sign-out", headers={"Sec-Fetch-Site": "cross-site"})
    assert _sign_outs(db) == 0, "only the button signs out"

    response = client.post("/sign-out", data={"csrf_token": csrf_from(page)}, headers={"Sec-Fetch-Site": "same-origin"},
                           follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/sign-in?notice=signed_out"
    assert db.exec(select(PortalSession)).all() == []
    assert _sign_outs(db) == 1
    client.cookies.set(SESSION_COOKIE, old_cookie)
    assert client.get("/notifications", follow_redirects=False).headers["location"].startswith("/sign-in")


def test_a_forged_confirmation_without_the_token_is_refused(client, db, make_user, sign_in):
    key_adult = make_user("setting_staff", urns=("112517",))
    sign_in(client, key_adult)

    assert client.post("/sign-out", data={}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 400
    assert client.get("/notifications", follow_redirects=False).status_code == 200
    assert _sign_outs(db) == 0


@pytest.mark.parametrize("fetch_site", ["same-origin", "none"])
def test_our_own_link_or_a_typed_address_signs_out_at_once(client, db, make_user, sign_in, fetch_site):
    key_adult = make_user("setting_staff", urns=("112517",))
    sign_in(client, key_adult)

    response = client.get("/sign-out", headers={"Sec-Fetch-Site": fetch_site}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/sign-in?notice=signed_out"
    assert client.get("/notifications", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert _sign_outs(db) == 1


def test_only_our_own_pages_and_typed_addresses_sign_out_without_asking():
    assert sign_out_needs_confirming(None)
    assert not sign_out_needs_confirming("same-origin")
    assert not sign_out_needs_confirming("None")
    assert sign_out_needs_confirming("cross-site")
    assert sign_out_needs_confirming("same-site")
    assert sign_out_needs_confirming("")


def test_with_nobody_signed_in_the_link_goes_straight_to_the_sign_in_page(client):
    response = client.get("/sign-out", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/sign-in?notice=signed_out"
