"""A sign-out link from a browser that does not say where it came from asks first, like one from another site."""

from sqlmodel import select

from service.audit.models import AuditEvent


def test_a_sign_out_get_without_sec_fetch_site_asks_with_a_post_button(client, db, make_user, sign_in, check_page):
    key_adult = make_user("setting_staff", urns=("112517",))
    sign_in(client, key_adult)

    response = client.get("/sign-out", follow_redirects=False)  # no Sec-Fetch-Site: a script, or a very old browser

    assert response.status_code == 200
    form = check_page(response).find("form", id="sign-out-form")
    assert (form["method"], form["action"]) == ("post", "/sign-out")
    assert client.get("/notifications", follow_redirects=False).status_code == 200, "still signed in"
    db.expire_all()
    assert "sign_out" not in [event.action for event in db.exec(select(AuditEvent))]


def test_a_real_browser_following_our_own_link_still_signs_out_at_once(client, make_user, sign_in):
    sign_in(client, make_user("setting_staff", urns=("112517",)))

    response = client.get("/sign-out", headers={"Sec-Fetch-Site": "same-origin"}, follow_redirects=False)

    assert response.headers["location"] == "/sign-in?notice=signed_out"
