"""The police staff role: invited by the CLI or an admin in the portal, one force each, signing in like everyone."""

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from service.accounts.models import PoliceStaffMembership, User
from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.cli import main
from tests.conftest import PORTAL_PASSWORD, _unused_code, csrf_token_in


def test_the_cli_invites_police_staff_to_one_force(db, forces, capsys):
    assert main(["users", "invite", "--email", "Hub.Officer@Derbyshire.police.example", "--name", "Hub officer",
                 "--kind", "police_staff", "--force", "derbyshire"]) == 0
    assert "/invitation/" in capsys.readouterr().out
    db.expire_all()
    user = db.exec(select(User).where(User.email == "hub.officer@derbyshire.police.example")).one()
    assert user.kind == "police_staff" and db.get(PoliceStaffMembership, user.id).force_id == "derbyshire"
    invited = db.exec(select(AuditEvent).where(AuditEvent.action == "user.invited")).one()
    assert invited.detail["force_id"] == "derbyshire"


def test_the_cli_refuses_police_staff_without_a_real_force(db, forces, capsys):
    assert main(["users", "invite", "--email", "a@police.example", "--kind", "police_staff"]) != 0
    assert "--force" in capsys.readouterr().err
    assert main(["users", "invite", "--email", "a@police.example", "--kind", "police_staff", "--force", "atlantis"]) != 0
    assert "atlantis" in capsys.readouterr().err
    db.expire_all()
    assert db.exec(select(User)).first() is None


def test_moving_to_another_force_leaves_the_first(db, forces):
    main(["users", "invite", "--email", "mover@police.example", "--kind", "police_staff", "--force", "derbyshire"])
    main(["users", "invite", "--email", "mover@police.example", "--kind", "police_staff", "--force", "nottinghamshire"])
    db.expire_all()
    user = db.exec(select(User).where(User.email == "mover@police.example")).one()
    assert [m.force_id for m in db.exec(select(PoliceStaffMembership).where(PoliceStaffMembership.user_id == user.id))] == ["nottinghamshire"]


def test_an_admin_invites_police_staff_in_the_portal(app, db, forces, make_user, sign_in, check_page):
    admin = make_user("admin")
    with TestClient(app, base_url="https://encompass.test") as browser:
        sign_in(browser, admin)
        assert 'href="/admin/police-staff/invite"' in browser.get("/admin").text
        page = browser.get("/admin/police-staff/invite")
        soup = check_page(page)
        assert {i["value"] for i in soup.find_all("input", attrs={"name": "force"})} == {"derbyshire", "nottinghamshire"}
        blank = browser.post("/admin/police-staff/invite", data={"csrf_token": csrf_token_in(page.text)})
        assert blank.status_code == 400
        assert [a["href"] for a in BeautifulSoup(blank.text, "html.parser").select(".govuk-error-summary a")] == ["#name", "#email", "#force"]
        sent = browser.post("/admin/police-staff/invite", data={
            "csrf_token": csrf_token_in(page.text), "name": "Sam Hub", "email": "sam.hub@notts.police.example",
            "force": "nottinghamshire"}, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/admin"
        assert "Invitation emailed to sam.hub@notts.police.example" in browser.get("/admin").text
    db.expire_all()
    user = db.exec(select(User).where(User.email == "sam.hub@notts.police.example")).one()
    assert db.get(PoliceStaffMembership, user.id).force_id == "nottinghamshire"
    invitation = db.exec(select(OutboxMessage).where(OutboxMessage.template == "invitation")).one()
    assert invitation.audience_ref == str(user.id)


def test_police_staff_sign_in_with_a_code_and_land_on_their_dashboard(app, db, police_staff):
    user = police_staff("derbyshire")
    with TestClient(app, base_url="https://encompass.test") as browser:
        page = browser.get("/sign-in")
        step = browser.post("/sign-in", data={"email": user.email, "password": PORTAL_PASSWORD, "csrf_token": csrf_token_in(page.text)},
                            follow_redirects=False)
        assert step.headers["location"] == "/sign-in/two-factor"  # no way in without the second factor
        assert browser.get("/police", follow_redirects=False).headers["location"].startswith("/sign-in")
        page = browser.get("/sign-in/two-factor")
        done = browser.post("/sign-in/two-factor", data={"code": _unused_code(db, user), "csrf_token": csrf_token_in(page.text)},
                            follow_redirects=False)
        assert done.headers["location"] == "/police"
        landing = browser.get("/police")
        nav = BeautifulSoup(landing.text, "html.parser").select(".govuk-service-navigation__link")
        assert "Police notifications" in [a.get_text(strip=True) for a in nav]


def test_deactivating_police_staff_ends_their_force(db, forces, police_staff):
    user = police_staff("derbyshire")
    assert main(["users", "deactivate", "--email", user.email]) == 0
    db.expire_all()
    assert db.get(PoliceStaffMembership, user.id) is None
    removed = db.exec(select(AuditEvent).where(AuditEvent.action == "membership.removed")).one()
    assert removed.detail["force_id"] == "derbyshire"
