"""One-time links: an invitation sets a password and then the app; a reset changes the password but never skips the code."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from bs4 import BeautifulSoup
from sqlmodel import select

from service.accounts import service as accounts_service
from service.accounts import administration
from service.accounts.models import AccountToken, SettingMembership, User
from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.cli import main as cli

OPERATOR = Actor("operator", "cli", "cli")
NEW_PASSWORD = "a brand new password 2026"


def _invite(db, **kwargs):
    invitation = administration.invite_user(db, now=datetime.now(UTC), by=OPERATOR, **kwargs)
    db.commit()
    return invitation


def _path(link: str) -> str:
    return link.removeprefix("https://encompass.test")


def _send_alerts(db) -> list:
    """Runs the alert worker as production does (a reset link is issued there) and returns the emails it sent."""
    from service.alerts.webhooks import WebhookSender
    from service.alerts.worker import OutboxWorker
    from tests.alerts.fakes import InboxSender

    db.commit()  # the test's session must not hold SQLite's write lock while the worker writes
    inbox = InboxSender()
    with WebhookSender() as webhooks:
        OutboxWorker(worker_id="test-worker", email_sender=inbox, webhook_sender=webhooks).run_once()
    db.expire_all()
    return inbox.sent


def _set_password(client, csrf_from, path, password=NEW_PASSWORD, confirm=None):
    page = client.get(path)
    return client.post(path, data={"password": password, "password-confirm": confirm or password, "csrf_token": csrf_from(page)},
                       follow_redirects=False)


def test_cli_invite_prints_a_link_that_sets_a_password_then_the_app(client, db, csrf_from, check_page, capsys):
    assert cli(["users", "invite", "--email", "DSL@School.example.sch.uk", "--name", "Alex Morgan", "--kind", "setting_staff",
                "--urn", "112517", "--role", "key_adult"]) == 0
    link = next(word for word in capsys.readouterr().out.split() if word.startswith("https://"))
    user = db.exec(select(User).where(User.email == "dsl@school.example.sch.uk")).one()
    assert db.exec(select(SettingMembership).where(SettingMembership.user_id == user.id)).one().role == "key_adult"
    assert db.exec(select(OutboxMessage)).one().template == "invitation"

    soup = check_page(client.get(_path(link)))
    assert [f["autocomplete"] for f in soup.select("input[type=password]")] == ["new-password", "new-password"]
    response = _set_password(client, csrf_from, _path(link))
    assert response.headers["location"] == "/sign-in/set-up-two-factor"
    page = client.get("/sign-in/set-up-two-factor")
    secret = BeautifulSoup(page.text, "html.parser").find(id="totp-secret").get_text().replace(" ", "")
    response = client.post("/sign-in/set-up-two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.headers["location"] == "/notifications"
    assert "invitation.accepted" in [e.action for e in db.exec(select(AuditEvent))]


def test_an_invitation_link_works_once(client, db, csrf_from):
    invitation = _invite(db, email="deputy@school.example.sch.uk", display_name="Sam", kind="setting_staff", urns=("112517",), role="deputy")
    assert _set_password(client, csrf_from, _path(invitation.link)).status_code == 303
    client.cookies.clear()
    again = client.get(_path(invitation.link))
    assert again.status_code == 404 and "This link does not work" in again.text


def test_an_invitation_expires_after_7_days(client, db, forces):
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), tick=False) as traveller:
        invitation = _invite(db, email="officer@council.example.gov.uk", display_name="Officer", kind="la_officer", la_codes=("830",))
        traveller.shift(timedelta(days=6, hours=23))
        assert client.get(_path(invitation.link)).status_code == 200
        traveller.shift(timedelta(hours=1, minutes=1))
        assert client.get(_path(invitation.link)).status_code == 404


def test_inviting_again_replaces_the_earlier_link(client, db):
    first = _invite(db, email="twice@school.example.sch.uk", display_name="Twice", kind="setting_staff", urns=("112517",), role="deputy")
    second = _invite(db, email="twice@school.example.sch.uk", display_name="Twice", kind="setting_staff", urns=("112518",), role="deputy")
    assert client.get(_path(first.link)).status_code == 404
    assert client.get(_path(second.link)).status_code == 200
    user = accounts_service.find_user(db, "twice@school.example.sch.uk")
    assert {m.urn for m in db.exec(select(SettingMembership).where(SettingMembership.user_id == user.id))} == {"112517", "112518"}


def test_invite_refuses_unknown_settings_and_missing_roles(db, capsys):
    assert cli(["users", "invite", "--email", "x@example.sch.uk", "--kind", "setting_staff", "--urn", "999999999", "--role", "deputy"]) == 2
    assert "No setting in the register with URN 999999999" in capsys.readouterr().err
    assert cli(["users", "invite", "--email", "x@example.sch.uk", "--kind", "setting_staff", "--urn", "112517"]) == 2


@pytest.mark.parametrize(("kind", "extra"), [
    ("police_staff", ["--force", "derbyshire", "--urn", "112517", "--role", "key_adult"]),
    ("admin", ["--urn", "112517", "--role", "key_adult"]),
    ("la_officer", ["--la", "830", "--urn", "112517", "--role", "key_adult"]),
    ("setting_staff", ["--urn", "112517", "--role", "key_adult", "--la", "830"]),
])
def test_invite_refuses_settings_or_las_for_an_account_of_another_kind(db, forces, capsys, kind, extra):
    """Found in review: a stray --urn made police staff (or an admin) a Key Adult, so the school counted as onboarded
    and children went to it, where that person could not read anything."""
    from service.accounts.models import LaMembership

    email = f"stray.{kind}@example.gov.uk"
    assert cli(["users", "invite", "--email", email, "--kind", kind, *extra]) == 2
    err = capsys.readouterr().err
    assert ("Only setting staff" in err) or ("Only LA officers" in err), err
    assert db.exec(select(User).where(User.email == email)).first() is None
    assert db.exec(select(SettingMembership)).all() == [] and db.exec(select(LaMembership)).all() == []


def test_weak_or_mismatched_passwords_are_explained_on_the_form(client, db, csrf_from, check_page):
    invitation = _invite(db, email="weak@school.example.sch.uk", display_name="Weak", kind="admin")
    soup = check_page(_set_password(client, csrf_from, _path(invitation.link), password="short"))
    assert soup.select_one(".govuk-error-summary a")["href"] == "#password"
    soup = check_page(_set_password(client, csrf_from, _path(invitation.link), confirm="something else entirely"))
    assert soup.select_one(".govuk-error-summary a")["href"] == "#password-confirm"


def test_password_reset_emails_a_link_and_still_asks_for_the_code(client, db, make_user, csrf_from, check_page):
    user = make_user("setting_staff", urns=("112517",))
    page = client.get("/forgot-password")
    check_page(page)
    response = client.post("/forgot-password", data={"email": user.email, "csrf_token": csrf_from(page)}, follow_redirects=False)
    assert response.headers["location"] == "/forgot-password/sent"
    [email] = _send_alerts(db)
    message = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "user")).one()
    assert (message.template, message.audience, message.audience_ref) == ("password_reset", "user", str(user.id))
    assert (email.template, email.email_address, email.reference) == ("password_reset", user.email, f"outbox-{message.id}")

    response = _set_password(client, csrf_from, _path(email.link))
    assert response.headers["location"] == "/sign-in?notice=password_changed"
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/sign-in")  # not signed in by the reset

    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": NEW_PASSWORD, "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.headers["location"] == "/sign-in/two-factor"
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert client.get(_path(email.link)).status_code == 404  # used once


def test_password_reset_signs_the_user_out_everywhere(client, app, db, make_user, sign_in, csrf_from):
    from fastapi.testclient import TestClient

    admin = make_user("admin")
    sign_in(client, admin)
    with TestClient(app, base_url="https://encompass.test") as other:
        page = other.get("/forgot-password")
        other.post("/forgot-password", data={"email": admin.email, "csrf_token": csrf_from(page)})
        [email] = _send_alerts(db)
        _set_password(other, csrf_from, _path(email.link))
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, db, csrf_from):
    page = client.get("/forgot-password")
    response = client.post("/forgot-password", data={"email": "nobody@example.gov.uk", "csrf_token": csrf_from(page)}, follow_redirects=False)
    assert response.headers["location"] == "/forgot-password/sent"
    assert _send_alerts(db) == []
    assert [(m.audience, m.audience_ref) for m in db.exec(select(OutboxMessage))] == [("reset_request", "")]


def test_tokens_are_stored_only_as_hashes(db):
    invitation = _invite(db, email="hash@school.example.sch.uk", display_name="Hash", kind="admin")
    token = invitation.link.rsplit("/", 1)[1]
    stored = db.exec(select(AccountToken)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_cli_deactivate_and_list(db, make_user, capsys):
    user = make_user("setting_staff", urns=("112517",), email="leaver@school.example.sch.uk")
    assert cli(["users", "deactivate", "--email", "leaver@school.example.sch.uk"]) == 0
    db.expire_all()
    assert db.get(User, user.id).is_active is False
    assert cli(["users", "list"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if "leaver@" in l)
    assert "deactivated" in line and "112517" not in line  # deactivation ends the memberships


def test_reset_two_factor_makes_the_next_sign_in_set_up_a_new_app(client, db, make_user, csrf_from, capsys):
    user = make_user("la_officer", la_codes=("830",), email="officer@council.example.gov.uk")
    assert cli(["users", "reset-two-factor", "--email", user.email]) == 0
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple", "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.headers["location"] == "/sign-in/set-up-two-factor"


def test_totp_code_command_prints_the_code_for_the_set_up_screen(client, db, make_user, csrf_from, capsys):
    user = make_user("setting_staff", urns=("112517",), two_factor=False)
    page = client.get("/sign-in")
    client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple", "csrf_token": csrf_from(page)})
    capsys.readouterr()
    assert cli(["users", "totp-code", "--email", user.email]) == 0
    code = capsys.readouterr().out.strip()
    page = client.get("/sign-in/set-up-two-factor")
    response = client.post("/sign-in/set-up-two-factor", data={"code": code, "csrf_token": csrf_from(page)}, follow_redirects=False)
    assert response.headers["location"] == "/notifications"


def test_totp_code_command_is_refused_in_production(db, make_user, monkeypatch):
    import pytest

    from service.config import Settings

    user = make_user("admin")
    production = Settings.model_construct(environment="production")
    monkeypatch.setattr("service.accounts.administration.get_settings", lambda: production)
    with pytest.raises(ValueError, match="production"):
        administration.code_for_demo(db, email=user.email, now=datetime.now(UTC))
