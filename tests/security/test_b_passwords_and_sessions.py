"""Passwords and sessions (ASVS 5.0 chapters 6 and 7): no guessable passwords, an email after every change, a page to
change it, a page to see and end your sessions, and an admin's own password before resetting someone's second factor."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.accounts import service as accounts_service
from service.accounts.models import PortalSession, User
from service.accounts.passwords import password_problem
from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.web.cookies import SESSION_COOKIE
from tests.conftest import PORTAL_PASSWORD

NEW_PASSWORD = "pebble lantern orchard violin"


def _actions(db) -> list[str]:
    db.expire_all()
    return [event.action for event in db.exec(select(AuditEvent).order_by(AuditEvent.id))]


def _password_changed_emails(db, user) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.template == "password_changed",
                                                    OutboxMessage.audience_ref == str(user.id))))


def _reset_path(db, user) -> str:
    """The path of a fresh reset link, as the emailed one would be."""
    link = accounts_service.issue_link(db, user_id=user.id, purpose="password_reset", lifetime=accounts_service.RESET_LIFETIME,
                                       now=datetime.now(UTC))
    db.commit()
    return link.removeprefix("https://encompass.test")


def _error_summary(soup) -> list[str]:
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None, "no error summary"
    return [link.get_text(strip=True) for link in summary.select("a")]


# --- Guessable passwords -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password1234", "Password1234!", "qwertyuiop123", "iloveyou1234", "encompass2026"])
def test_common_and_guessable_passwords_are_refused_in_plain_words(password):
    problem = password_problem(password)
    assert problem is not None and problem.startswith("Choose a password that is harder to guess: ")


def test_a_password_made_of_the_persons_own_name_is_refused_but_unrelated_words_are_fine():
    mine = ["alex.morgan@brimington-junior.example.sch.uk", "Alex Morgan"]
    assert password_problem("alexmorgan2026", personal_words=mine) is not None
    assert password_problem("brimington-junior1", personal_words=mine) is not None
    assert password_problem(NEW_PASSWORD, personal_words=mine) is None
    assert password_problem("short") == "Password must be 12 characters or more"  # the length rules still come first


def test_the_reset_form_refuses_password1234_with_an_error_summary(client, db, make_user, csrf_from, check_page):
    user = make_user("setting_staff", urns=("112517",))
    path = _reset_path(db, user)
    page = client.get(path)
    response = client.post(path, data={"password": "password1234", "password-confirm": "password1234", "csrf_token": csrf_from(page)})

    soup = check_page(response)
    assert _error_summary(soup)[0].startswith("Choose a password that is harder to guess")
    db.expire_all()
    assert db.get(User, user.id).password_hash == user.password_hash, "not changed"


# --- "Your password was changed" -------------------------------------------------------------------------------------


def test_a_password_reset_emails_the_user_that_their_password_was_changed(client, db, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    path = _reset_path(db, user)
    page = client.get(path)
    client.post(path, data={"password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD, "csrf_token": csrf_from(page)})

    [email] = _password_changed_emails(db, user)
    assert (email.audience, email.link) == ("user", "https://encompass.test/sign-in")


# --- Changing your password ----------------------------------------------------------------------------------------


def test_change_password_page_asks_for_the_current_password_and_explains_mistakes(client, db, make_user, sign_in, csrf_from,
                                                                                  check_page):
    key_adult = make_user("setting_staff", urns=("112517",))
    sign_in(client, key_adult)
    page = client.get("/account/password")
    soup = check_page(page)
    assert soup.find("h1").get_text(strip=True) == "Change your password"
    assert [field["autocomplete"] for field in soup.select("input[type=password]")] == ["current-password", "new-password", "new-password"]

    response = client.post("/account/password", data={"current-password": "not my password at all", "password": "password1234",
                                                      "password-confirm": "password1234", "csrf_token": csrf_from(page)})

    soup = check_page(response)
    assert soup.title.get_text().startswith("Error:")
    errors = _error_summary(soup)
    assert errors[0] == "Your current password is not correct"
    assert errors[1].startswith("Choose a password that is harder to guess")
    assert [a["href"] for a in soup.select(".govuk-error-summary a")] == ["#current-password", "#password"]
    assert "reauthentication.failed" in _actions(db)
    db.expire_all()
    assert db.get(User, key_adult.id).password_hash == key_adult.password_hash
    assert _password_changed_emails(db, key_adult) == []


def test_changing_the_password_signs_out_everywhere_else_emails_and_audits(app, client, db, make_user, sign_in, csrf_from):
    key_adult = make_user("setting_staff", urns=("112517",))
    with TestClient(app, base_url="https://encompass.test") as laptop:
        sign_in(laptop, key_adult)
        sign_in(client, key_adult)
        before = client.cookies[SESSION_COOKIE]
        page = client.get("/account/password")
        response = client.post("/account/password", data={"current-password": PORTAL_PASSWORD, "password": NEW_PASSWORD,
                                                          "password-confirm": NEW_PASSWORD, "csrf_token": csrf_from(page)},
                               follow_redirects=False)

        assert response.status_code == 303 and response.headers["location"] == "/account/sessions"
        assert laptop.get("/notifications", follow_redirects=False).headers["location"].startswith("/sign-in"), "other session ended"
    assert client.cookies[SESSION_COOKIE] != before, "this browser carries on under a new token"
    assert "Your password has been changed" in client.get("/account/sessions").text
    assert client.get("/notifications", follow_redirects=False).status_code == 200
    client.cookies.set(SESSION_COOKIE, before)
    assert client.get("/notifications", follow_redirects=False).status_code == 303, "a copied old cookie is worthless"
    assert len(_password_changed_emails(db, key_adult)) == 1
    assert "password.changed" in _actions(db)
    client.cookies.clear()
    page = client.get("/sign-in")
    answer = client.post("/sign-in", data={"email": key_adult.email, "password": NEW_PASSWORD, "csrf_token": csrf_from(page)},
                         follow_redirects=False)
    assert answer.headers["location"] == "/sign-in/two-factor"


# --- Your sessions ---------------------------------------------------------------------------------------------------


def test_changing_the_password_ends_a_reset_link_not_yet_used(client, db, make_user, sign_in, csrf_from, check_page):
    """Someone who changes their password because they fear another person has their mailbox: a reset link emailed
    earlier must stop working too, or whoever holds it could still set a password of their own."""
    key_adult = make_user("setting_staff", urns=("112517",))
    link = accounts_service.issue_link(db, user_id=key_adult.id, purpose="password_reset",
                                       lifetime=accounts_service.RESET_LIFETIME, now=datetime.now(UTC))
    db.commit()
    reset_path = "/reset-password/" + link.rsplit("/", 1)[1]
    sign_in(client, key_adult)
    page = client.get("/account/password")
    changed = client.post("/account/password", data={"current-password": PORTAL_PASSWORD, "password": NEW_PASSWORD,
                                                     "password-confirm": NEW_PASSWORD, "csrf_token": csrf_from(page)},
                          follow_redirects=False)
    assert changed.status_code == 303

    client.cookies.clear()
    refused = client.get(reset_path)
    assert refused.status_code == 404
    soup = check_page(refused)
    assert soup.find("h1").get_text(strip=True) == "This link does not work"
    assert soup.find("input", {"type": "password"}) is None


def test_sessions_page_lists_this_device_and_signs_out_everywhere_else(app, client, db, make_user, sign_in, csrf_from, check_page):
    officer = make_user("la_officer", la_codes=("830",))
    with TestClient(app, base_url="https://encompass.test") as phone:
        sign_in(phone, officer)
        sign_in(client, officer)
        page = client.get("/account/sessions")
        soup = check_page(page)
        assert soup.find("h1").get_text(strip=True) == "Where you are signed in"
        rows = soup.select("#sessions tbody tr")
        assert len(rows) == 2
        assert "This device" in rows[0].get_text() and "Another device or browser" in rows[1].get_text()
        assert all(len(row.select("td")) == 2 and " at " in row.select("td")[0].get_text() for row in rows)  # started, last seen
        form = soup.find("form", id="sign-out-others-form")
        assert (form["method"], form["action"]) == ("post", "/account/sessions/sign-out-others")

        response = client.post("/account/sessions/sign-out-others", data={"csrf_token": csrf_from(page)}, follow_redirects=False)

        assert response.status_code == 303 and response.headers["location"] == "/account/sessions"
        assert phone.get("/la", follow_redirects=False).headers["location"].startswith("/sign-in")
    after = check_page(client.get("/account/sessions"))
    assert "You have been signed out on every other device" in after.get_text()
    assert len(after.select("#sessions tbody tr")) == 1 and after.find(id="signed-in-nowhere-else")
    db.expire_all()
    assert len(db.exec(select(PortalSession).where(PortalSession.user_id == officer.id)).all()) == 1
    assert "sessions.ended_elsewhere" in _actions(db)


def test_signing_out_elsewhere_needs_this_browsers_csrf_token(client, db, make_user, sign_in):
    officer = make_user("la_officer", la_codes=("830",))
    sign_in(client, officer)
    assert client.post("/account/sessions/sign-out-others", data={}).status_code == 400


def test_the_header_links_to_your_password_and_sessions_beside_sign_out(client, make_user, sign_in):
    from bs4 import BeautifulSoup

    sign_in(client, make_user("admin"))
    navigation = BeautifulSoup(client.get("/admin").text, "html.parser").select_one(".govuk-service-navigation")
    links = [a["href"] for a in navigation.select("a")]
    assert {"/account/password", "/account/sessions", "/sign-out"} <= set(links)


# --- An admin's own password before resetting someone's second factor ------------------------------------------------


def test_resetting_someones_second_factor_needs_the_admins_password(client, db, make_user, sign_in, csrf_from, check_page):
    admin = make_user("admin")
    colleague = make_user("setting_staff", urns=("112517",), display_name="Alex Morgan")
    sign_in(client, admin)
    path = f"/admin/users/{colleague.id}/reset-two-factor"
    page = client.get(path)
    soup = check_page(page)
    assert soup.find("h1").get_text(strip=True) == "Reset security codes for Alex Morgan"
    assert soup.find("input", id="password")["autocomplete"] == "current-password"

    wrong = client.post(path, data={"password": "not the admin password", "csrf_token": csrf_from(page)}, follow_redirects=False)

    assert wrong.status_code == 200
    assert _error_summary(check_page(wrong)) == ["Your password is not correct"]
    db.expire_all()
    assert db.get(User, colleague.id).totp_secret is not None, "nothing reset"
    assert "two_factor.reset" not in _actions(db)
    refused = db.exec(select(AuditEvent).where(AuditEvent.action == "reauthentication.failed")).one()
    assert (refused.actor_id, refused.detail["purpose"], refused.detail["target_user_id"]) == (str(admin.id), "reset_two_factor",
                                                                                              colleague.id)

    right = client.post(path, data={"password": PORTAL_PASSWORD, "csrf_token": csrf_from(page)}, follow_redirects=False)

    assert right.status_code == 303 and right.headers["location"] == "/admin"
    db.expire_all()
    assert db.get(User, colleague.id).totp_secret is None
    assert "two_factor.reset" in _actions(db)
