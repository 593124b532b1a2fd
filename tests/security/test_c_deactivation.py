"""Deactivation sticks: it ends memberships, so a later invitation brings back only what it invites to; an LA can
always take someone off its own settings, whoever else they work for; admin/CLI deactivation ends the account."""

from sqlmodel import select

from service.accounts import administration
from service.accounts.models import LaMembership, SettingMembership, User
from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.db import utcnow
from tests.builders import BRIMINGTON_JUNIOR, SWANWICK_PRIMARY
from tests.security.c_portal import NOTTINGHAM_SETTING, csrf_for

OPERATOR = Actor("operator", "cli", "cli")


def memberships(db, user) -> set[str]:
    db.expire_all()
    return {m.urn for m in db.exec(select(SettingMembership).where(SettingMembership.user_id == user.id))}


def test_reinviting_a_deactivated_key_adult_brings_back_only_the_setting_invited_to(db, forces, make_user):
    person = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR, NOTTINGHAM_SETTING), email="moves@school.example.sch.uk")
    administration.deactivate_user(db, email=person.email, by=OPERATOR)
    db.commit()
    assert memberships(db, person) == set(), "deactivation must end every membership"
    [removed] = db.exec(select(AuditEvent).where(AuditEvent.action == "membership.removed")).all()
    assert removed.object_id == str(person.id)
    assert removed.detail["settings"] == [{"urn": BRIMINGTON_JUNIOR, "role": "key_adult"}, {"urn": NOTTINGHAM_SETTING, "role": "key_adult"}]

    # Nottinghamshire invites the same email again: only its own setting comes back, Derbyshire's stays gone.
    invitation = administration.invite_user(db, email=person.email, display_name="Moves", kind="setting_staff", now=utcnow(),
                                            by=OPERATOR, urns=(NOTTINGHAM_SETTING,), role="deputy")
    db.commit()
    assert invitation.link is not None  # reactivation is by the invitation link, which sets a new password
    assert memberships(db, person) == {NOTTINGHAM_SETTING}


def test_admin_deactivation_ends_la_memberships_too(db, forces, make_user):
    officer = make_user("la_officer", la_codes=("830", "831"))
    administration.deactivate_user(db, email=officer.email, by=OPERATOR)
    db.commit()
    db.expire_all()
    assert db.exec(select(LaMembership).where(LaMembership.user_id == officer.id)).all() == []
    assert db.get(User, officer.id).is_active is False


def test_an_la_removes_someone_from_its_own_settings_even_when_another_la_added_them_elsewhere(
        client, db, forces, make_user, sign_in):
    shared = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR, SWANWICK_PRIMARY, NOTTINGHAM_SETTING))
    officer = make_user("la_officer", la_codes=("830",))
    sign_in(client, officer)

    response = client.post(f"/la/key-adults/{shared.id}/deactivate", data={"csrf_token": csrf_for(client)}, follow_redirects=False)

    assert response.status_code == 303, response.text[:300]
    assert memberships(db, shared) == {NOTTINGHAM_SETTING}  # both Derbyshire settings gone, Nottinghamshire's kept
    assert db.get(User, shared.id).is_active is True  # they still work for Nottinghamshire
    [removed] = db.exec(select(AuditEvent).where(AuditEvent.action == "membership.removed")).all()
    assert removed.actor_id == str(officer.id)
    assert sorted(m["urn"] for m in removed.detail["settings"]) == [SWANWICK_PRIMARY, BRIMINGTON_JUNIOR]
    assert not db.exec(select(AuditEvent).where(AuditEvent.action == "user.deactivated")).all()


def test_an_la_removing_someones_last_setting_deactivates_the_account(client, db, forces, make_user, sign_in):
    leaver = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,))
    sign_in(client, make_user("la_officer", la_codes=("830",)))

    response = client.post(f"/la/key-adults/{leaver.id}/deactivate", data={"csrf_token": csrf_for(client)}, follow_redirects=False)

    assert response.status_code == 303
    assert memberships(db, leaver) == set()
    assert db.get(User, leaver.id).is_active is False
    assert [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_id == str(leaver.id))
                                      .order_by(AuditEvent.id))] == ["membership.removed", "user.deactivated"]


def test_an_la_cannot_remove_someone_who_has_no_setting_in_its_area(client, db, forces, make_user, sign_in):
    elsewhere = make_user("setting_staff", urns=(NOTTINGHAM_SETTING,))
    sign_in(client, make_user("la_officer", la_codes=("830",)))
    response = client.post(f"/la/key-adults/{elsewhere.id}/deactivate", data={"csrf_token": csrf_for(client)})
    assert response.status_code == 404
    assert memberships(db, elsewhere) == {NOTTINGHAM_SETTING}
