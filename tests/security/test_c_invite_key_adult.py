"""The LA's "invite a Key Adult" form: one answer whether or not the email has an account, addresses checked by
email-validator, and an existing account is offered the role (accepted signed in, by a one-time link), never added."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from service.accounts import administration
from service.accounts.models import SettingMembership
from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from service.audit.service import Actor
from tests.builders import BRIMINGTON_JUNIOR
from tests.security.c_portal import NOTTINGHAM_SETTING, banners, csrf_for, outbox_link


@pytest.fixture
def officer_browser(client, forces, make_user, sign_in):
    officer = make_user("la_officer", la_codes=("830",))
    sign_in(client, officer)
    return client, officer


def invite(client, email: str, *, role: str = "deputy"):
    return client.post("/la/key-adults/invite", data={
        "csrf_token": csrf_for(client), "invite-urn": BRIMINGTON_JUNIOR, "invite-email": email, "invite-name": "Sam Person",
        "invite-role": role}, follow_redirects=False)


def offered_path(db) -> str:
    """The link path of the one membership offer emailed so far."""
    db.expire_all()
    [email] = db.exec(select(OutboxMessage).where(OutboxMessage.template == "membership_offer")).all()
    return "/membership/" + outbox_link(email).rsplit("/membership/", 1)[1]


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account(officer_browser, db, make_user):
    client, _ = officer_browser
    other_las_key_adult = make_user("setting_staff", urns=(NOTTINGHAM_SETTING,), email="known@notts.example.sch.uk")
    admin = make_user("admin", email="known.admin@example.gov.uk")
    answers = {}
    for email in ("new.person@brimington.example.sch.uk", other_las_key_adult.email, admin.email):
        response = invite(client, email)
        assert response.status_code == 303, (email, response.status_code, response.text[:300])
        answers[email] = [text.replace(email, "EMAIL") for text in banners(client.get("/la/key-adults"))]
    assert len(set(map(tuple, answers.values()))) == 1, answers
    assert not any("already has an account" in text or "belongs to" in text for text in answers[admin.email])


def test_an_existing_key_adult_from_another_la_is_offered_the_setting_not_added(officer_browser, db, make_user):
    client, officer = officer_browser
    person = make_user("setting_staff", urns=(NOTTINGHAM_SETTING,), email="dsl@notts.example.sch.uk")

    assert invite(client, person.email, role="key_adult").status_code == 303

    db.expire_all()
    assert db.get(SettingMembership, (person.id, BRIMINGTON_JUNIOR)) is None, "added without the person accepting"
    from service.accounts.models import MembershipOffer

    [offer] = db.exec(select(MembershipOffer)).all()
    assert (offer.user_id, offer.urn, offer.role, offer.offered_by, offer.accepted_at) == (
        person.id, BRIMINGTON_JUNIOR, "key_adult", officer.id, None)
    [email] = db.exec(select(OutboxMessage).where(OutboxMessage.template == "membership_offer")).all()
    assert (email.audience, email.audience_ref) == ("user", str(person.id))
    assert "/membership/" in outbox_link(email)


def test_the_offer_is_accepted_by_its_person_signed_in_and_only_once(app, officer_browser, db, make_user, sign_in):
    from fastapi.testclient import TestClient

    client, _ = officer_browser
    person = make_user("setting_staff", urns=(NOTTINGHAM_SETTING,), email="accepts@notts.example.sch.uk")
    assert invite(client, person.email, role="deputy").status_code == 303
    path = offered_path(db)

    with TestClient(app, base_url="https://encompass.test") as browser:
        signed_out = browser.get(path, follow_redirects=False)
        assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in?next=/membership/")

        sign_in(browser, make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,)))  # someone else: nothing to see
        assert browser.get(path).status_code == 404
        assert browser.post(path, data={"csrf_token": csrf_for(browser)}).status_code == 404

    with TestClient(app, base_url="https://encompass.test") as browser:
        sign_in(browser, person)
        page = browser.get(path)
        assert page.status_code == 200
        assert "Brimington" in page.text and "Deputy" in page.text and 'id="accept-offer-form"' in page.text
        assert browser.post(path, data={}).status_code in (400, 403)  # the form needs its CSRF token
        assert db.get(SettingMembership, (person.id, BRIMINGTON_JUNIOR)) is None
        accepted = browser.post(path, data={"csrf_token": csrf_for(browser)}, follow_redirects=False)
        assert accepted.status_code == 303 and accepted.headers["location"] == "/notifications"
        db.expire_all()
        assert db.get(SettingMembership, (person.id, BRIMINGTON_JUNIOR)).role == "deputy"
        assert db.exec(select(AuditEvent).where(AuditEvent.action == "membership.accepted")).one().actor_id == str(person.id)
        assert browser.get(path).status_code == 404  # one use only


def test_a_brand_new_email_still_gets_the_normal_invitation(officer_browser, db):
    client, _ = officer_browser
    assert invite(client, "brand.new@brimington.example.sch.uk", role="key_adult").status_code == 303
    db.expire_all()
    assert [m.template for m in db.exec(select(OutboxMessage))] == ["invitation"]


@pytest.mark.parametrize("email", ["dana@school", "dana@@school.example.sch.uk", "dana lead@school.example.sch.uk",
                                   "dana@school..example.sch.uk", "dana@-school.example.sch.uk", "dana@localhost",
                                   ".dana@school.example.sch.uk", "dana@school.example.sch.uk\u200b"])
def test_the_invite_form_checks_addresses_with_email_validator(officer_browser, db, email):
    client, _ = officer_browser
    response = invite(client, email)
    assert response.status_code == 400, response.status_code
    assert 'href="#invite-email"' in response.text
    db.expire_all()
    assert db.exec(select(OutboxMessage)).all() == []


@pytest.mark.parametrize("email", ["dana@school", "dana@@school.example.sch.uk", "dana@school..example.sch.uk"])
def test_accounts_invite_user_checks_addresses_the_same_way(db, forces, email):
    with pytest.raises(ValueError):
        administration.invite_user(db, email=email, display_name="Dana", kind="setting_staff", now=datetime.now(UTC),
                                   by=Actor("operator", "cli", "cli"), urns=(BRIMINGTON_JUNIOR,), role="key_adult")


def test_the_membership_offer_email_is_a_known_template():
    from service.alerts.senders import TEMPLATE_SUBJECTS

    assert "membership_offer" in TEMPLATE_SUBJECTS


def test_two_accepts_of_one_offer_at_once_give_the_role_once_and_neither_fails(db, engine, forces, make_user):
    """Found in review: a double click on "Accept" sent two requests that both found the offer open, and both
    accepted it: two acceptances in the audit trail, two hand-overs, and on PostgreSQL, when both looked for the
    membership before either wrote it, a 500 on its key. The second now finds the offer taken and changes nothing."""
    import threading

    from sqlmodel import Session

    from service.accounts.offers import accept_offer, offer_membership, open_offer
    from service.db import utcnow

    person = make_user("setting_staff", urns=(NOTTINGHAM_SETTING,), email="double.click@notts.example.sch.uk")
    now = utcnow()
    offer_membership(db, user=person, urn=BRIMINGTON_JUNIOR, role="deputy", by=Actor("operator", "cli", "cli"),
                     offered_by=None, now=now)
    db.commit()
    token = offered_path(db).removeprefix("/membership/")

    errors: list[BaseException] = []
    with Session(engine) as first, Session(engine) as second:
        found_first = open_offer(first, token=token, user_id=person.id, now=now)
        found_second = open_offer(second, token=token, user_id=person.id, now=now)
        assert found_first is not None and found_second is not None  # both clicks found it open

        def second_click() -> None:
            try:
                accept_offer(second, found_second, now=now)
                second.commit()
            except BaseException as error:  # noqa: BLE001 - asserted below
                errors.append(error)
                second.rollback()

        accept_offer(first, found_first, now=now)  # written, not yet committed
        clicked = threading.Thread(target=second_click)
        clicked.start()
        clicked.join(0.5)  # the second click waits on the first's writes
        first.commit()
        clicked.join(30)
    assert errors == []
    db.expire_all()
    assert [(m.urn, m.role) for m in db.exec(select(SettingMembership).where(SettingMembership.user_id == person.id)
                                             .order_by(SettingMembership.urn))] == [(BRIMINGTON_JUNIOR, "deputy"),
                                                                                    (NOTTINGHAM_SETTING, "key_adult")]
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "membership.accepted")).all()) == 1


def test_an_offer_withdrawn_while_its_accept_is_on_the_way_is_not_found_not_a_500(app, officer_browser, db, engine,
                                                                                   make_user, sign_in, monkeypatch):
    """Found in review: if the LA withdrew the offer between the Accept request finding it and claiming it, the
    page then read the deleted offer: a 500. Now the person is told it is no longer there (404)."""
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from service.accounts import offers

    client, _ = officer_browser
    person = make_user("setting_staff", urns=(NOTTINGHAM_SETTING,), email="too.late@notts.example.sch.uk")
    assert invite(client, person.email, role="deputy").status_code == 303
    path = offered_path(db)
    found_before = offers.open_offer

    def found_then_withdrawn(session, **arguments):
        found = found_before(session, **arguments)
        with Session(engine) as other:  # the LA withdraws it in the meantime
            offers.withdraw_offers(other, person.id)
            other.commit()
        return found

    with TestClient(app, base_url="https://encompass.test") as browser:
        sign_in(browser, person)
        token = csrf_for(browser)
        monkeypatch.setattr(offers, "open_offer", found_then_withdrawn)
        answer = browser.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 404
    db.expire_all()
    assert db.get(SettingMembership, (person.id, BRIMINGTON_JUNIOR)) is None
