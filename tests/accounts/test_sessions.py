"""Server-side sessions: signing out really ends them, and they time out when idle and after 12 hours."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from service.accounts.models import PortalSession
from service.audit.models import AuditEvent
from service.web.cookies import SESSION_COOKIE
from tests.conftest import PORTAL_PASSWORD

MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_sign_out_ends_the_session_on_the_server_so_the_old_cookie_no_longer_works(client, db, make_user, sign_in):
    admin = make_user("admin")
    sign_in(client, admin)
    old_cookie = client.cookies[SESSION_COOKIE]
    assert client.get("/admin").status_code == 200

    response = client.get("/sign-out", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert response.headers["location"] == "/sign-in?notice=signed_out"
    assert "You have signed out" in client.get(response.headers["location"]).text
    assert db.exec(select(PortalSession)).all() == []

    client.cookies.set(SESSION_COOKIE, old_cookie)  # someone who copied the cookie before sign-out
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/sign-in")
    assert "sign_out" in [e.action for e in db.exec(select(AuditEvent))]


def test_signing_in_again_ends_the_previous_session(client, db, make_user, sign_in, csrf_from):
    admin = make_user("admin")
    sign_in(client, admin)
    first = client.cookies[SESSION_COOKIE]
    # Signed in, /sign-in sends the browser on; any form of the signed-in session carries its token.
    page = client.get("/account/password")
    response = client.post("/sign-in", data={"email": admin.email, "password": PORTAL_PASSWORD, "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.headers["location"] == "/sign-in/two-factor"
    assert client.cookies[SESSION_COOKIE] != first
    client.cookies.set(SESSION_COOKIE, first)
    assert client.get("/admin", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("minutes_away, still_signed_in", [(29, True), (31, False)])
def test_idle_timeout_is_30_minutes(client, db, make_user, sign_in, minutes_away, still_signed_in):
    admin = make_user("admin")
    with time_machine.travel(MORNING, tick=False) as traveller:
        sign_in(client, admin)
        traveller.shift(timedelta(minutes=minutes_away))
        response = client.get("/admin", follow_redirects=False)
    assert (response.status_code == 200) is still_signed_in
    if not still_signed_in:
        assert response.headers["location"] == "/session-ended"


def test_idle_timeout_page_explains_and_the_timeout_is_audited(client, db, make_user, sign_in, check_page):
    admin = make_user("admin")
    with time_machine.travel(MORNING, tick=False) as traveller:
        sign_in(client, admin)
        traveller.shift(timedelta(minutes=45))
        page = client.get("/admin")  # follows to /session-ended
        check_page(page)
        assert "not used the service for 30 minutes" in page.text
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "session.timed_out")).one()
        assert event.detail == {"reason": "idle"} and event.object_id == str(admin.id)
        assert db.exec(select(PortalSession)).all() == []


def test_activity_keeps_the_session_alive_until_the_12_hour_limit(client, make_user, sign_in):
    admin = make_user("admin")
    with time_machine.travel(MORNING, tick=False) as traveller:
        sign_in(client, admin)
        for _ in range(11 * 3):  # a busy day: a page every 20 minutes for 11 hours
            traveller.shift(timedelta(minutes=20))
            assert client.get("/admin", follow_redirects=False).status_code == 200
        traveller.shift(timedelta(minutes=61))
        response = client.get("/admin", follow_redirects=False)
        assert response.headers["location"] == "/session-ended"
        assert "signed in for 12 hours" in client.get("/session-ended").text


def test_a_half_finished_sign_in_expires_after_15_minutes(client, make_user, csrf_from):
    user = make_user("setting_staff", urns=("112517",))
    with time_machine.travel(MORNING, tick=False) as traveller:
        page = client.get("/sign-in")
        client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple", "csrf_token": csrf_from(page)})
        traveller.shift(timedelta(minutes=16))
        assert client.get("/sign-in/two-factor", follow_redirects=False).headers["location"] == "/sign-in?notice=start_again"


def test_deactivating_a_user_ends_their_sessions(client, db, make_user, sign_in):
    from service.accounts import administration
    from service.audit.service import Actor

    admin = make_user("admin")
    sign_in(client, admin)
    administration.deactivate_user(db, email=admin.email, by=Actor("operator", "cli", "cli"))
    db.commit()
    assert client.get("/admin", follow_redirects=False).headers["location"].startswith("/sign-in")


def test_flash_message_shows_once_after_a_redirect(client, db, make_user, sign_in, csrf_from):
    admin = make_user("admin")
    colleague = make_user("setting_staff", urns=("112517",), display_name="Alex Morgan")
    sign_in(client, admin)
    page = client.get(f"/admin/users/{colleague.id}/reset-two-factor")
    response = client.post(f"/admin/users/{colleague.id}/reset-two-factor", data={"password": PORTAL_PASSWORD, "csrf_token": csrf_from(page)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    first = client.get("/admin").text
    assert "Alex Morgan will set up a new authenticator app" in first
    assert "Alex Morgan will set up a new authenticator app" not in client.get("/admin").text


def test_purge_removes_only_sessions_that_can_no_longer_be_used(client, db, make_user, sign_in):
    from service.cli import main as cli

    stale, fresh = make_user("admin"), make_user("admin")
    with time_machine.travel(MORNING, tick=False) as traveller:
        sign_in(client, stale)
        traveller.shift(timedelta(hours=1))
        client.cookies.clear()
        sign_in(client, fresh)
        assert cli(["users", "purge-sessions"]) == 0
    db.expire_all()
    assert [row.user_id for row in db.exec(select(PortalSession))] == [fresh.id]
