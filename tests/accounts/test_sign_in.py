"""Signing in with a password and a code from an authenticator app, and what goes wrong politely."""

import time

import pyotp
from sqlmodel import select

from service.accounts.models import PortalSession, User
from service.accounts.service import totp_secret_of
from service.audit.models import AuditEvent
from service.web.cookies import SESSION_COOKIE


def _post_password(client, csrf_from, email, password, **extra):
    page = client.get("/sign-in", params=extra.pop("params", None))
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf_from(page), **extra}, follow_redirects=False)


def test_key_adult_signs_in_with_password_and_code_and_lands_on_notifications(client, db, make_user, csrf_from, check_page):
    user = make_user("setting_staff", urns=("112517",))
    check_page(client.get("/sign-in"))
    response = _post_password(client, csrf_from, user.email.upper(), "correct horse battery staple")
    assert response.headers["location"] == "/sign-in/two-factor"

    page = client.get("/sign-in/two-factor")
    soup = check_page(page)
    code_field = soup.find("input", id="code")
    assert code_field["autocomplete"] == "one-time-code" and code_field["inputmode"] == "numeric"
    # Someone who lost their phone is told who can reset their codes, and how to reach them.
    contact = soup.find("a", id="reset-codes-contact")
    assert contact["href"] == "mailto:help@encompass.example.gov.uk" and "administrators" in contact.parent.get_text()
    response = client.post("/sign-in/two-factor", data={"code": pyotp.TOTP(totp_secret_of(user)).now(), "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/notifications"
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["sign_in.password_accepted", "sign_in.succeeded"]


def test_each_kind_of_user_lands_on_their_own_start_page(client, make_user, sign_in):
    officer = make_user("la_officer", la_codes=("830",))
    sign_in(client, officer)
    assert client.get("/", follow_redirects=False).headers["location"] == "/la"
    client.get("/sign-out", headers={"Sec-Fetch-Site": "same-origin"})
    admin = make_user("admin")
    sign_in(client, admin)
    assert client.get("/", follow_redirects=False).headers["location"] == "/admin"


def test_wrong_password_shows_an_error_and_is_audited_without_the_password(client, db, make_user, csrf_from, check_page):
    user = make_user("setting_staff", urns=("112517",))
    response = _post_password(client, csrf_from, user.email, "not the password at all")
    soup = check_page(response)
    assert soup.title.get_text().startswith("Error: Sign in")
    summary_link = soup.select_one(".govuk-error-summary a")
    assert summary_link["href"] == "#password" and soup.find(id="password")
    assert SESSION_COOKIE not in response.cookies
    event = db.exec(select(AuditEvent)).one()
    assert (event.action, event.object_id) == ("sign_in.failed", str(user.id))
    assert "not the password" not in str(event.detail)


def test_unknown_email_gets_the_same_answer_and_no_email_is_recorded(client, db, csrf_from):
    response = _post_password(client, csrf_from, "nobody@example.gov.uk", "whatever it is")
    assert "Enter a correct email address and password" in response.text
    event = db.exec(select(AuditEvent)).one()
    assert event.object_id == "unknown" and "nobody" not in str(event.detail) + event.actor_id


def test_deactivated_user_cannot_sign_in_with_the_right_password(client, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",), is_active=False)
    response = _post_password(client, csrf_from, user.email, "correct horse battery staple")
    assert response.status_code == 200 and "Enter a correct email address and password" in response.text


def test_wrong_code_keeps_the_user_on_the_code_page(client, db, make_user, csrf_from, check_page):
    user = make_user("setting_staff", urns=("112517",))
    _post_password(client, csrf_from, user.email, "correct horse battery staple")
    page = client.get("/sign-in/two-factor")
    response = client.post("/sign-in/two-factor", data={"code": "000000" if pyotp.TOTP(totp_secret_of(user)).now() != "000000" else "111111",
                                                         "csrf_token": csrf_from(page)}, follow_redirects=False)
    soup = check_page(response)
    assert soup.title.get_text().startswith("Error:") and soup.select_one(".govuk-error-summary a")["href"] == "#code"
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert "sign_in.two_factor_failed" in [e.action for e in db.exec(select(AuditEvent))]


def test_five_wrong_codes_send_the_user_back_to_the_password(client, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    _post_password(client, csrf_from, user.email, "correct horse battery staple")
    right = pyotp.TOTP(totp_secret_of(user))
    wrong = [c for c in ("123456", "234567", "345678", "456789", "567890", "678901") if c not in {right.at(time.time() + t) for t in (-30, 0, 30)}]
    for attempt in range(5):
        page = client.get("/sign-in/two-factor")
        response = client.post("/sign-in/two-factor", data={"code": wrong[attempt], "csrf_token": csrf_from(page)}, follow_redirects=False)
    assert response.headers["location"] == "/sign-in?notice=start_again"
    assert client.get("/sign-in/two-factor", follow_redirects=False).headers["location"].startswith("/sign-in")


def test_a_code_cannot_be_used_twice(client, db, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    code = pyotp.TOTP(totp_secret_of(user)).now()
    for expected in ("/notifications", None):
        client.cookies.clear()
        _post_password(client, csrf_from, user.email, "correct horse battery staple")
        page = client.get("/sign-in/two-factor")
        response = client.post("/sign-in/two-factor", data={"code": code, "csrf_token": csrf_from(page)}, follow_redirects=False)
        assert response.headers.get("location") == expected


def test_session_id_changes_at_each_step_of_signing_in(client, db, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    stale_token = "an-old-session-token-from-before"
    client.cookies.set(SESSION_COOKIE, stale_token)
    response = _post_password(client, csrf_from, user.email, "correct horse battery staple")
    after_password = response.cookies[SESSION_COOKIE]
    assert after_password != stale_token
    page = client.get("/sign-in/two-factor")
    response = client.post("/sign-in/two-factor", data={"code": pyotp.TOTP(totp_secret_of(user)).now(), "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    after_code = response.cookies[SESSION_COOKIE]
    assert after_code != after_password
    db.expire_all()
    stored = db.exec(select(PortalSession)).all()
    assert len(stored) == 1 and stored[0].stage == "signed_in"
    assert after_code not in stored[0].token_hash  # only the hash is stored


def test_session_cookie_is_host_only_secure_httponly_and_samesite(client, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    response = _post_password(client, csrf_from, user.email, "correct horse battery staple")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-encompass_session=")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite", "path"} <= flags and "domain" not in flags
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()


def test_sign_in_returns_to_the_page_asked_for(client, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/sign-in?next=/admin"
    _post_password(client, csrf_from, user.email, "correct horse battery staple", next="/notifications/abc")
    page = client.get("/sign-in/two-factor")
    response = client.post("/sign-in/two-factor", data={"code": pyotp.TOTP(totp_secret_of(user)).now(), "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.headers["location"] == "/notifications/abc"


def test_sign_in_never_sends_the_browser_to_another_site(client, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    _post_password(client, csrf_from, user.email, "correct horse battery staple", next="//evil.example/")
    page = client.get("/sign-in/two-factor")
    response = client.post("/sign-in/two-factor", data={"code": pyotp.TOTP(totp_secret_of(user)).now(), "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.headers["location"] == "/notifications"


def test_first_sign_in_sets_up_the_app_with_a_qr_code_and_the_key_as_text(client, db, make_user, csrf_from, check_page):
    user = make_user("setting_staff", urns=("112517",), two_factor=False)
    response = _post_password(client, csrf_from, user.email, "correct horse battery staple")
    assert response.headers["location"] == "/sign-in/set-up-two-factor"
    page = client.get("/sign-in/set-up-two-factor")
    soup = check_page(page)
    svg = soup.find("svg", class_="app-totp-qr")
    assert svg is not None and svg["role"] == "img"
    secret = soup.find(id="totp-secret").get_text().replace(" ", "")
    assert len(secret) == 32
    assert "http" not in str(svg)  # drawn here, not fetched from a QR service
    # Someone setting up on the phone that has the app cannot scan its own screen: a link opens the app instead.
    app_link = soup.find("a", id="totp-app-link")
    assert app_link["href"].startswith("otpauth://totp/")
    assert pyotp.parse_uri(app_link["href"]).secret == secret
    response = client.post("/sign-in/set-up-two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.headers["location"] == "/notifications"
    db.expire_all()
    assert totp_secret_of(db.get(User, user.id)) == secret


def test_set_up_key_survives_a_reload_of_the_page(client, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",), two_factor=False)
    _post_password(client, csrf_from, user.email, "correct horse battery staple")
    first = client.get("/sign-in/set-up-two-factor").text
    second = client.get("/sign-in/set-up-two-factor").text
    from bs4 import BeautifulSoup
    key = lambda html: BeautifulSoup(html, "html.parser").find(id="totp-secret").get_text()
    assert key(first) == key(second)


def test_signed_in_header_has_a_sign_out_link(client, make_user, sign_in):
    admin = make_user("admin")
    sign_in(client, admin)
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(client.get("/admin").text, "html.parser")
    assert soup.find("a", href="/sign-out", string=lambda s: s and "Sign out" in s)
