"""Authorisation matrix: every route in the app's route table x every role -> the expected answer.

Roles: police API clients of force A and B, Key Adults of settings A and B, a deputy of A, LA officers of LA A and
B, an admin, police staff of force A and B (portal users), and a browser that is not signed in.

The routes come from the app itself, so a new route without a rule in RULES fails the test until someone decides,
here, who may use it. POSTs carry each browser's own valid CSRF token, so what is tested is who may act, not
whether the form was forged.
"""

import uuid
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.builders import BRIMINGTON_JUNIOR, child_entry, incident_body

SWANWICK_PRIMARY = "112500"  # setting B: another open Derbyshire (830) primary
ROLES = ("police_a", "police_b", "key_adult_a", "key_adult_b", "deputy_a", "officer_la_a", "officer_la_b", "admin",
         "police_staff_a", "police_staff_b", "anonymous")

# What each answer means.
OK = "ok"  # 200, or a POST that was let through: a redirect onward (303, not to sign-in) or a form error (400)
HIDDEN = "hidden"  # 404: the same answer as for something that does not exist
SIGN_IN = "sign_in"  # 303 to /sign-in: a browser that is not (or no longer) signed in
UNAUTHENTICATED = "unauthenticated"  # 401: the police API without a valid key
ELSEWHERE = "elsewhere"  # a GET sent on to a landing page (the sign-in page when already signed in, say)

POLICE = {"police_a", "police_b"}
PORTAL = set(ROLES) - POLICE - {"anonymous"}
STAFF_A = {"key_adult_a", "deputy_a"}
POLICE_STAFF = {"police_staff_a", "police_staff_b"}  # portal users of force A and force B
LANDING_PAGES = {"/", "/notifications", "/la", "/admin", "/police"}


def only(allowed: set[str], *, others: str = HIDDEN, anonymous: str = SIGN_IN, police: str | None = None) -> dict[str, str]:
    """A portal page: `allowed` roles get OK; other signed-in roles `others`; a browser with no session signs in.
    Police API keys mean nothing to the portal, so a police client is a browser with no session."""
    rule = {role: (OK if role in allowed else others) for role in PORTAL}
    rule["anonymous"] = anonymous
    for role in POLICE:
        rule[role] = police or anonymous
    return rule


def everyone(outcome: str = OK) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


def police_api(owner_sees: str, *, other_force: str) -> dict[str, str]:
    rule = dict.fromkeys(ROLES, UNAUTHENTICATED)  # portal sessions are not API keys
    rule["police_a"], rule["police_b"] = owner_sees, other_force
    return rule


def signed_out_pages() -> dict[str, str]:
    """Sign-in, invitation and reset pages: for anyone not signed in; a signed-in user is sent to their own pages."""
    rule = dict.fromkeys(PORTAL, ELSEWHERE)
    rule.update(dict.fromkeys(POLICE | {"anonymous"}, OK))
    return rule


# (method, path) -> role -> expected. Notification ids in paths belong to setting A / LA A / force A.
RULES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/v1/openapi.json"): everyone(),
    ("POST", "/api/v1/incidents"): police_api(OK, other_force=OK),  # each force posts its own incidents
    ("GET", "/api/v1/notifications/{notification_id}"): police_api(OK, other_force=HIDDEN),
    # Withdrawals name an incident of their own (world.ids), so withdrawing it takes nothing from the other routes.
    ("POST", "/api/v1/incidents/{incident_id}/withdrawal"): police_api(OK, other_force=HIDDEN),
    ("POST", "/api/v1/notifications/{notification_id}/withdrawal"): police_api(OK, other_force=HIDDEN),
    # GOV.UK Notify's delivery receipts: its own bearer token, which no portal session or police key is.
    ("POST", "/api/notify/delivery-receipts"): everyone(UNAUTHENTICATED),
    ("GET", "/healthz"): everyone(),
    ("GET", "/readyz"): everyone(),
    ("GET", "/"): {**dict.fromkeys(PORTAL, ELSEWHERE), **dict.fromkeys(POLICE | {"anonymous"}, SIGN_IN)},
    ("GET", "/sign-in"): signed_out_pages(),
    ("POST", "/sign-in"): everyone(),  # an empty form: asked again
    # The second step only follows a correct password in this browser; nobody here has given one.
    ("GET", "/sign-in/two-factor"): everyone(SIGN_IN),
    ("POST", "/sign-in/two-factor"): everyone(SIGN_IN),
    ("GET", "/sign-in/set-up-two-factor"): everyone(SIGN_IN),
    ("POST", "/sign-in/set-up-two-factor"): everyone(SIGN_IN),
    ("POST", "/sign-out"): everyone(SIGN_IN),
    ("GET", "/sign-out"): everyone(SIGN_IN),
    ("GET", "/session-ended"): signed_out_pages(),
    # The footer's service pages: open to everyone, signed in or not.
    ("GET", "/accessibility"): everyone(),
    ("GET", "/privacy"): everyone(),
    ("GET", "/cookies"): everyone(),
    # Links with a made-up token: the same 404 for everyone, signed in or not.
    ("GET", "/invitation/{token}"): everyone(HIDDEN),
    ("POST", "/invitation/{token}"): everyone(HIDDEN),
    ("GET", "/reset-password/{token}"): everyone(HIDDEN),
    ("POST", "/reset-password/{token}"): everyone(HIDDEN),
    # A membership offer's link with a made-up token: 404 for anyone signed in; sign in first otherwise.
    ("GET", "/membership/{token}"): only(set()),
    ("POST", "/membership/{token}"): only(set()),
    ("GET", "/forgot-password"): everyone(),
    ("POST", "/forgot-password"): everyone(),
    ("GET", "/forgot-password/sent"): everyone(),
    ("GET", "/admin"): only({"admin"}),
    ("GET", "/admin/users/{user_id}/reset-two-factor"): only({"admin"}),
    ("POST", "/admin/users/{user_id}/reset-two-factor"): only({"admin"}),  # no password: asked for it, nothing reset
    # Everyone's own password and sessions; signing out elsewhere ends only that person's other sessions.
    ("GET", "/account/password"): only(PORTAL),
    ("POST", "/account/password"): only(PORTAL),
    ("GET", "/account/sessions"): only(PORTAL),
    ("POST", "/account/sessions/sign-out-others"): only(PORTAL),
    ("GET", "/admin/outbox"): only({"admin"}),
    ("POST", "/admin/outbox/send-all-again"): only({"admin"}),
    ("POST", "/admin/outbox/{message_id}/send-again"): only({"admin"}),
    ("GET", "/admin/audit"): only({"admin"}),
    ("POST", "/admin/audit"): only({"admin"}),
    ("GET", "/notifications"): only(STAFF_A | {"key_adult_b"}),
    ("GET", "/notifications/{notification_id}"): only(STAFF_A),
    ("GET", "/notifications/{notification_id}/print"): only(STAFF_A),
    ("POST", "/notifications/{notification_id}/acknowledge"): only(STAFF_A),
    ("POST", "/notifications/{notification_id}/actions"): only(STAFF_A),
    ("POST", "/notifications/{notification_id}/close"): only(STAFF_A),
    ("GET", "/notifications/{notification_id}/not-on-roll"): only(STAFF_A),
    ("POST", "/notifications/{notification_id}/not-on-roll"): only(STAFF_A),  # no reason given: asked again (400)
    ("GET", "/la"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/queues/{queue}"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/notifications/{notification_id}"): only({"officer_la_a"}),
    ("POST", "/la/notifications/{notification_id}/assign"): only({"officer_la_a"}),
    ("POST", "/la/notifications/{notification_id}/reroute"): only({"officer_la_a"}),
    ("GET", "/la/notifications/{notification_id}/reroute/{urn}"): only({"officer_la_a"}),
    ("POST", "/la/notifications/{notification_id}/reroute/{urn}"): only({"officer_la_a"}),  # no reason: asked again
    ("GET", "/la/authorities/{la_code}/local-guidance"): only({"officer_la_a"}),
    ("POST", "/la/authorities/{la_code}/local-guidance"): only({"officer_la_a"}),
    ("POST", "/la/notifications/{notification_id}/acknowledge"): only({"officer_la_a"}),
    ("POST", "/la/notifications/{notification_id}/outcome"): only({"officer_la_a"}),
    ("GET", "/la/dashboard"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/dashboard.csv"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/dashboard/overdue"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/dashboard/repeat-children"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/authorities/{la_code}/configuration"): only({"officer_la_a"}),
    ("POST", "/la/authorities/{la_code}/configuration"): only({"officer_la_a"}),
    ("GET", "/la/key-adults"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/not-reached"): only({"officer_la_a", "officer_la_b"}),
    ("POST", "/la/key-adults/invite"): only({"officer_la_a", "officer_la_b"}),
    ("GET", "/la/key-adults/{user_id}/deactivate"): only({"officer_la_a"}),
    ("POST", "/la/key-adults/{user_id}/deactivate"): only({"officer_la_a"}),
    # Police staff: their own force's dashboard, form and uploads; an incident or upload of force A is A's alone.
    ("GET", "/police"): only(POLICE_STAFF),
    ("GET", "/police/dashboard.csv"): only(POLICE_STAFF),
    ("GET", "/police/incidents/new"): only(POLICE_STAFF),
    ("POST", "/police/incidents/new"): only(POLICE_STAFF),  # an empty form: asked again
    ("GET", "/police/incidents/{incident_id}"): only({"police_staff_a"}),
    ("GET", "/police/upload"): only(POLICE_STAFF),
    ("POST", "/police/upload"): only(POLICE_STAFF),  # no file: asked again
    ("GET", "/police/upload/template.csv"): only(POLICE_STAFF),
    ("GET", "/police/upload/{upload_id}"): only({"police_staff_a"}),
    ("POST", "/police/upload/{upload_id}/confirm"): only({"police_staff_a"}),
    ("POST", "/police/upload/{upload_id}/continue"): only({"police_staff_a"}),
    ("GET", "/admin/police-staff/invite"): only({"admin"}),
    ("POST", "/admin/police-staff/invite"): only({"admin"}),
    ("GET", "/assets"): everyone(),  # static files for every page, signed in or not
    ("GET", "/static"): everyone(),  # the service's own stylesheet and icon
}
# Run last for each role: they end the role's session.
SIGN_OUTS = [("POST", "/sign-out"), ("GET", "/sign-out")]


def app_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, HEAD aside (it follows GET), from its own route table."""
    found = set()
    for route in iter_route_contexts(app.routes):
        methods = route.methods or {"GET"}  # a mount answers whatever it serves
        found |= {(method, route.path) for method in methods if method != "HEAD"}
    return sorted(found, key=lambda key: (SIGN_OUTS.index(key) if key in SIGN_OUTS else -1, key[1], key[0]))


def test_every_route_has_a_rule_for_every_role(app):
    missing = [key for key in app_routes(app) if key not in RULES]
    assert missing == [], f"routes with no authorisation rule: add them to RULES: {missing}"
    stale = [key for key in RULES if key not in app_routes(app)]
    assert stale == [], f"rules for routes that no longer exist: {stale}"
    assert all(set(rule) == set(ROLES) for rule in RULES.values())


@dataclass
class World:
    """The objects the paths name, and one signed-in browser (or API key) per role."""

    ids: dict[str, str]
    browsers: dict[str, TestClient]
    tokens: dict[str, str]
    api_keys: dict[str, str]


@pytest.fixture
def world(app, db, police_key, other_force_key, make_user, sign_in):
    from service.alerts.models import OutboxMessage

    users = {
        "key_adult_a": make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,), role="key_adult"),
        "key_adult_b": make_user("setting_staff", urns=(SWANWICK_PRIMARY,), role="key_adult"),
        "deputy_a": make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,), role="deputy"),
        "officer_la_a": make_user("la_officer", la_codes=("830",)),
        "officer_la_b": make_user("la_officer", la_codes=("831",)),
        "admin": make_user("admin"),
        "police_staff_a": make_user("police_staff"),
        "police_staff_b": make_user("police_staff"),
    }
    from service.accounts.models import PoliceStaffMembership
    from service.policeportal.models import PoliceUpload

    db.add(PoliceStaffMembership(user_id=users["police_staff_a"].id, force_id="derbyshire"))
    db.add(PoliceStaffMembership(user_id=users["police_staff_b"].id, force_id="nottinghamshire"))
    # Force A's finished upload: confirming or continuing it again changes nothing.
    db.add(PoliceUpload(id=uuid.uuid4().hex, user_id=users["police_staff_a"].id, force_id="derbyshire", state="done",
                        file_sha256="0" * 64, incidents_total=1, incidents_done=1, new_count=1))
    db.commit()
    bystander = make_user("setting_staff", urns=(BRIMINGTON_JUNIOR,), role="key_adult")
    with TestClient(app, base_url="https://encompass.test") as poster:
        body = incident_body(children=[child_entry("C1"), child_entry("C2", education_status="missing_education", setting_urn=None)])
        answer = poster.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"}).json()
        withdrawable = poster.post("/api/v1/incidents", json=incident_body(),
                                   headers={"Authorization": f"Bearer {police_key}"}).json()
    by_child = {n["child_reference"]: n for n in answer["notifications"]}
    assert by_child["C1"]["routing"]["urn"] == BRIMINGTON_JUNIOR and by_child["C2"]["routing"]["la_code"] == "830"
    db.expire_all()
    ids = {
        "setting_notification": by_child["C1"]["id"], "la_notification": by_child["C2"]["id"],
        "user_id": str(bystander.id), "message_id": str(db.exec(OutboxMessage.__table__.select()).first().id),
        "incident_id": answer["incident_id"], "upload_id": db.exec(PoliceUpload.__table__.select()).first().id,
        "withdrawable_incident": withdrawable["incident_id"],
        "withdrawable_notification": withdrawable["notifications"][0]["id"],
    }

    browsers, tokens = {}, {}
    for role in ROLES:
        browser = TestClient(app, base_url="https://encompass.test").__enter__()
        browsers[role] = browser
        if role in users:
            sign_in(browser, users[role])
            tokens[role] = _csrf_for_session(browser)
        else:
            tokens[role] = _csrf_in(browser.get("/sign-in").text)  # bound to this signed-out browser's own cookie
    yield World(ids=ids, browsers=browsers, tokens=tokens, api_keys={"police_a": police_key, "police_b": other_force_key})
    for browser in browsers.values():
        browser.__exit__(None, None, None)


def _csrf_for_session(browser: TestClient) -> str:
    """The token every form of this signed-in browser carries (not every landing page has a form to read it from)."""
    from starlette.requests import Request

    from service.web.cookies import SESSION_COOKIE
    from service.web.csrf import token_for

    cookie = f"{SESSION_COOKIE}={browser.cookies.get(SESSION_COOKIE)}".encode()
    return token_for(Request({"type": "http", "headers": [(b"cookie", cookie)]})).value


def _csrf_in(html: str) -> str:
    from bs4 import BeautifulSoup

    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert field is not None, html[:300]
    return field["value"]


def concrete_path(path: str, world: World) -> str:
    notification = world.ids["la_notification"] if path.startswith("/la/") else world.ids["setting_notification"]
    incident = world.ids["incident_id"]
    if path.endswith("/withdrawal"):
        notification, incident = world.ids["withdrawable_notification"], world.ids["withdrawable_incident"]
    return (path.replace("{incident_id}", incident).replace("{notification_id}", notification).replace("{user_id}", world.ids["user_id"])
            .replace("{message_id}", world.ids["message_id"]).replace("{queue}", "not_in_school")
            .replace("{la_code}", "830").replace("{token}", uuid.uuid4().hex)
            .replace("{upload_id}", world.ids["upload_id"]).replace("{urn}", BRIMINGTON_JUNIOR))


def outcome_of(method: str, response) -> str:
    status, location = response.status_code, response.headers.get("location", "").split("?")[0]
    if status == 401:
        return UNAUTHENTICATED
    if status == 404:
        return HIDDEN
    if status in (302, 303, 307) and location == "/sign-in":
        return SIGN_IN
    if status in (302, 303) and method == "GET" and location in LANDING_PAGES:
        return ELSEWHERE
    if status in (200, 201, 400) or (status in (302, 303, 307) and location):
        return OK
    return f"status {status}"


def test_every_route_answers_every_role_as_its_rule_says(app, world):
    observed: dict[tuple[str, str], dict[str, str]] = {}
    for role in ROLES:
        browser = world.browsers[role]
        for method, path in app_routes(app):
            headers = {"Authorization": f"Bearer {world.api_keys[role]}"} if role in world.api_keys else {}
            url = concrete_path(path, world)
            if method == "POST" and path.endswith("/withdrawal"):
                response = browser.post(url, json={"reason": "sent_in_error"}, headers=headers)
            elif method == "POST" and path.startswith("/api/"):
                response = browser.post(url, json=incident_body(), headers=headers)
            elif method == "POST":
                response = browser.post(url, data={"csrf_token": world.tokens[role]}, headers=headers, follow_redirects=False)
            else:
                response = browser.request(method, url, headers=headers, follow_redirects=False)
            observed.setdefault((method, path), {})[role] = outcome_of(method, response)
    print_matrix(observed)
    wrong = {key: {role: (RULES[key][role], got) for role, got in answers.items() if got != RULES[key][role]}
             for key, answers in observed.items()}
    assert {key: diff for key, diff in wrong.items() if diff} == {}


def print_matrix(observed) -> None:
    print()
    print(f"{'':56}" + "".join(f"{role[:10]:>11}" for role in ROLES))
    for (method, path), answers in observed.items():
        print(f"{method:5}{path[-50:]:51}" + "".join(f"{answers[role][:10]:>11}" for role in ROLES))
