"""What other pages rely on: the signed-in user's settings and LAs become the scope of every query."""

from fastapi import APIRouter, Request

from service.accounts.deps import CurrentUser, LaOfficer, SettingStaff, load_portal_user


def test_portal_user_carries_roles_per_setting_and_scopes(db, make_user):
    deputy = make_user("setting_staff", urns=("112517", "112518"), role="deputy")
    user = load_portal_user(db, deputy)
    assert user.setting_roles == {"112517": "deputy", "112518": "deputy"}
    assert user.setting_scope().urns == frozenset({"112517", "112518"}) and user.setting_scope().la_codes is None
    officer = load_portal_user(db, make_user("la_officer", la_codes=("830", "831")))
    assert officer.la_scope().la_codes == frozenset({"830", "831"}) and officer.urns == frozenset()


def test_role_dependencies_admit_only_their_kind(app, client, make_user, sign_in):
    router = APIRouter()

    @router.get("/test-only/setting")
    def setting_page(user: SettingStaff):
        return {"urns": sorted(user.urns)}

    @router.get("/test-only/la")
    def la_page(user: LaOfficer):
        return {"la": sorted(user.la_codes)}

    @router.get("/test-only/anyone")
    def anyone(request: Request, user: CurrentUser):
        return {"kind": user.kind}

    app.include_router(router)
    key_adult = make_user("setting_staff", urns=("112517",))
    assert client.get("/test-only/anyone", follow_redirects=False).headers["location"] == "/sign-in?next=/test-only/anyone"
    sign_in(client, key_adult)
    assert client.get("/test-only/setting").json() == {"urns": ["112517"]}
    assert client.get("/test-only/la").status_code == 404
    assert client.get("/test-only/anyone").json() == {"kind": "setting_staff"}
