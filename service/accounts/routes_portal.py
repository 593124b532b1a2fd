"""Portal pages for accounts: sign in with a second factor, sign out, invitations, password reset, your own password
and sessions, the admin page."""

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from service.accounts import service as accounts_service
from service.accounts import administration, own_account
from service.accounts import sessions
from service.accounts.deps import (SESSION_ENDED_PATH, SIGN_IN_PATH, Admin, CsrfChecked, CurrentSession, CurrentUser,
                                   safe_next_path)
from service.accounts.models import User
from service.db import SessionDep, utcnow
from service.problems import NotFound
from service.ratelimit import TokenBucket
from service.web.cookies import SESSION_COOKIE, clear_cookie, set_private_cookie
from service.web.flash import flash
from service.web.params import RowId
from service.web.templates import render

router = APIRouter(include_in_schema=False)

# Reset emails per address: enough for a school office, too few to mail-bomb colleagues. Per process, which is fine here.
reset_requests = TokenBucket(rate=10, per=600)

NOTICES = {
    "signed_out": "You have signed out.",
    "password_changed": "Your password has been changed. Sign in with it, then enter the code from your authenticator app.",
    "start_again": "You need to sign in again. This happens after too many wrong codes, or if the page was left open for a long time.",
}


def client_address(request: Request) -> str:
    # Behind the load balancer, uvicorn's --proxy-headers (with FORWARDED_ALLOW_IPS) puts the real address here.
    return request.client.host if request.client else "unknown"


def _to(path: str, *, session_token: str | None = None) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    if session_token:
        set_private_cookie(response, SESSION_COOKIE, session_token)
    return response


def _signed_in_user(request: Request, session) -> User | None:
    row = sessions.find(session, request.cookies.get(SESSION_COOKIE))
    if row is None or row.stage != "signed_in" or sessions.expiry_reason(row, utcnow(), sessions.limits_from_settings()):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


@router.get("/")
def start_page(request: Request, session: SessionDep) -> Response:
    user = _signed_in_user(request, session)
    return _to(accounts_service.landing_path(user) if user else SIGN_IN_PATH)


# --- Sign in -----------------------------------------------------------------------------------------------------


@router.get(SIGN_IN_PATH)
def sign_in_page(request: Request, session: SessionDep, next: str | None = None, notice: str | None = None) -> Response:
    user = _signed_in_user(request, session)
    if user is not None:
        return _to(safe_next_path(next) or accounts_service.landing_path(user))
    return render(request, "accounts/sign_in.html", {"next": safe_next_path(next) or "", "notice": NOTICES.get(notice or "")})


@router.post(SIGN_IN_PATH, dependencies=[CsrfChecked])
def sign_in(request: Request, session: SessionDep, email: str = Form(""), password: str = Form(""), next: str = Form("")) -> Response:
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if not errors:
        step = accounts_service.sign_in_with_password(
            session, email=email, password=password, address=client_address(request), now=utcnow(),
            previous_token=request.cookies.get(SESSION_COOKIE), next_path=safe_next_path(next))
        if step.outcome == "accepted":
            return _to(step.next_path, session_token=step.session_token)
        if step.outcome == "throttled":
            return _too_many_attempts(request, "accounts/sign_in.html", step.retry_after,
                                      {"email_value": email, "next": safe_next_path(next) or ""}, field="email")
        errors["password"] = "Enter a correct email address and password"
    return render(request, "accounts/sign_in.html", {"errors": errors, "email_value": email, "next": safe_next_path(next) or ""})


def _too_many_attempts(request: Request, template: str, retry_after: int, context: dict, *, field: str) -> Response:
    wait = f"{retry_after} seconds" if retry_after < 120 else f"{(retry_after + 59) // 60} minutes"
    response = render(request, template, {**context, "errors": {field: f"Too many attempts. Wait {wait}, then try again"}}, status_code=429)
    response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/sign-in/two-factor")
def two_factor_page(request: Request, session: SessionDep) -> Response:
    row = accounts_service.unfinished_session(session, request.cookies.get(SESSION_COOKIE), stage="two_factor", now=utcnow())
    if row is None:
        return _to(f"{SIGN_IN_PATH}?notice=start_again")
    return render(request, "accounts/two_factor.html")


@router.post("/sign-in/two-factor", dependencies=[CsrfChecked])
def two_factor(request: Request, session: SessionDep, code: str = Form("")) -> Response:
    return _confirm_code(request, session, code, stage="two_factor", template="accounts/two_factor.html")


@router.get("/sign-in/set-up-two-factor")
def set_up_two_factor_page(request: Request, session: SessionDep) -> Response:
    row = accounts_service.unfinished_session(session, request.cookies.get(SESSION_COOKIE), stage="set_up_two_factor", now=utcnow())
    if row is None:
        return _to(f"{SIGN_IN_PATH}?notice=start_again")
    try:
        return render(request, "accounts/set_up_two_factor.html", _set_up_context(session, row))
    except accounts_service.SignInUnavailable:
        return _sign_in_unavailable(request)


@router.post("/sign-in/set-up-two-factor", dependencies=[CsrfChecked])
def set_up_two_factor(request: Request, session: SessionDep, code: str = Form("")) -> Response:
    return _confirm_code(request, session, code, stage="set_up_two_factor", template="accounts/set_up_two_factor.html")


def _set_up_context(session, row) -> dict:
    secret, qr_svg, app_link = accounts_service.two_factor_set_up_details(session, row)
    return {"secret": secret, "qr_svg": qr_svg, "app_link": app_link}


def _sign_in_unavailable(request: Request) -> Response:
    # 503: the fault is the service's configuration (its encryption key), not anything the user typed.
    return render(request, "accounts/sign_in_unavailable.html", status_code=503)


def _confirm_code(request: Request, session, code: str, *, stage: str, template: str) -> Response:
    now = utcnow()
    row = accounts_service.unfinished_session(session, request.cookies.get(SESSION_COOKIE), stage=stage, now=now)
    if row is None:
        return _to(f"{SIGN_IN_PATH}?notice=start_again")
    try:
        context = _set_up_context(session, row) if stage == "set_up_two_factor" else {}
        if not code.strip():
            return render(request, template, {**context, "errors": {"code": "Enter the 6-digit code from your authenticator app"}})
        step = accounts_service.confirm_code(session, row=row, code=code, address=client_address(request), now=now)
    except accounts_service.SignInUnavailable:
        return _sign_in_unavailable(request)
    if step.outcome == "accepted":
        return _to(step.next_path, session_token=step.session_token)
    if step.outcome == "ended":
        response = _to(f"{SIGN_IN_PATH}?notice=start_again")
        clear_cookie(response, SESSION_COOKIE)
        return response
    if step.outcome == "throttled":
        return _too_many_attempts(request, template, step.retry_after, context, field="code")
    return render(request, template, {**context, "errors": {"code": "The code is not correct. Enter the code your app shows now"}})


# --- Sign out and timeouts ---------------------------------------------------------------------------------------


@router.get("/sign-out")
def sign_out_link(request: Request, session: SessionDep) -> Response:
    # A plain link in the header signs out at once. SameSite=Lax still sends the cookie on another site's link,
    # so a GET from elsewhere (or from a browser that does not say) only asks; the button POSTs with this browser's CSRF token.
    # With no session there is nothing to protect, so no question to ask.
    if (accounts_service.sign_out_needs_confirming(request.headers.get("sec-fetch-site"))
            and sessions.find(session, request.cookies.get(SESSION_COOKIE)) is not None):
        return render(request, "accounts/sign_out.html")
    return _sign_out(request, session)


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out(request: Request, session: SessionDep) -> Response:
    return _sign_out(request, session)


def _sign_out(request: Request, session) -> Response:
    accounts_service.sign_out(session, token=request.cookies.get(SESSION_COOKIE))
    response = _to(f"{SIGN_IN_PATH}?notice=signed_out")
    clear_cookie(response, SESSION_COOKIE)
    return response


@router.get(SESSION_ENDED_PATH)
def session_ended(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    reason = accounts_service.end_stale_session(session, token=token, now=utcnow())
    if reason is None and _signed_in_user(request, session) is not None:
        return _to("/")
    response = render(request, "accounts/session_ended.html", {"reason": reason})
    clear_cookie(response, SESSION_COOKIE)
    return response


# --- Invitations and password reset ------------------------------------------------------------------------------


@router.get("/invitation/{token}")
def invitation_page(request: Request, session: SessionDep, token: str) -> Response:
    found = accounts_service.usable_link(session, token=token, purpose="invitation", now=utcnow())
    if found is None:
        return render(request, "accounts/link_not_valid.html", {"what": "invitation"}, status_code=404)
    return render(request, "accounts/create_password.html", {"invitee": found[1], "action": f"/invitation/{token}"})


@router.post("/invitation/{token}", dependencies=[CsrfChecked])
def accept_invitation(request: Request, session: SessionDep, token: str, password: str = Form(""),
                      password_confirm: str = Form("", alias="password-confirm")) -> Response:
    now = utcnow()
    found = accounts_service.usable_link(session, token=token, purpose="invitation", now=now)
    if found is None:
        return render(request, "accounts/link_not_valid.html", {"what": "invitation"}, status_code=404)
    errors = accounts_service.new_password_problems(password, password_confirm, user=found[1])
    if errors:
        return render(request, "accounts/create_password.html", {"invitee": found[1], "action": f"/invitation/{token}", "errors": errors})
    step = accounts_service.accept_invitation(session, token=token, password=password, now=now,
                                              previous_token=request.cookies.get(SESSION_COOKIE))
    return _to(step.next_path, session_token=step.session_token)


@router.get("/forgot-password")
def forgot_password_page(request: Request) -> Response:
    return render(request, "accounts/forgot_password.html")


@router.post("/forgot-password", dependencies=[CsrfChecked])
def forgot_password(request: Request, session: SessionDep, email: str = Form("")) -> Response:
    if "@" not in email:
        return render(request, "accounts/forgot_password.html", {"errors": {"email": "Enter your email address, like name@school.sch.uk"},
                                                                 "email_value": email})
    wait = reset_requests.take(client_address(request))
    if wait:
        return _too_many_attempts(request, "accounts/forgot_password.html", wait, {"email_value": email}, field="email")
    accounts_service.request_password_reset(session, email=email, now=utcnow())
    return _to("/forgot-password/sent")


@router.get("/forgot-password/sent")
def forgot_password_sent(request: Request) -> Response:
    return render(request, "accounts/reset_sent.html")


@router.get("/reset-password/{token}")
def reset_password_page(request: Request, session: SessionDep, token: str) -> Response:
    if accounts_service.usable_link(session, token=token, purpose="password_reset", now=utcnow()) is None:
        return render(request, "accounts/link_not_valid.html", {"what": "password_reset"}, status_code=404)
    return render(request, "accounts/create_password.html", {"action": f"/reset-password/{token}"})


@router.post("/reset-password/{token}", dependencies=[CsrfChecked])
def reset_password(request: Request, session: SessionDep, token: str, password: str = Form(""),
                   password_confirm: str = Form("", alias="password-confirm")) -> Response:
    now = utcnow()
    found = accounts_service.usable_link(session, token=token, purpose="password_reset", now=now)
    if found is None:
        return render(request, "accounts/link_not_valid.html", {"what": "password_reset"}, status_code=404)
    errors = accounts_service.new_password_problems(password, password_confirm, user=found[1])
    if errors:
        return render(request, "accounts/create_password.html", {"action": f"/reset-password/{token}", "errors": errors})
    accounts_service.reset_password(session, token=token, password=password, now=now)
    response = _to(f"{SIGN_IN_PATH}?notice=password_changed")
    clear_cookie(response, SESSION_COOKIE)
    return response


# --- Your own account --------------------------------------------------------------------------------------------

CHANGE_PASSWORD_PATH = "/account/password"
SESSIONS_PATH = "/account/sessions"


@router.get(CHANGE_PASSWORD_PATH)
def change_password_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "accounts/change_password.html")


@router.post(CHANGE_PASSWORD_PATH, dependencies=[CsrfChecked])
def change_password(request: Request, session: SessionDep, user: CurrentUser, row: CurrentSession,
                    current_password: str = Form("", alias="current-password"), password: str = Form(""),
                    password_confirm: str = Form("", alias="password-confirm")) -> Response:
    change = own_account.change_password(session, row=row, current=current_password, new=password, confirmation=password_confirm,
                                         address=client_address(request), now=utcnow())
    if change.retry_after:
        return _too_many_attempts(request, "accounts/change_password.html", change.retry_after, {}, field="current-password")
    if change.errors:
        return render(request, "accounts/change_password.html", {"errors": change.errors}, status_code=400)
    request.state.portal_session = change.session_row  # the flash travels in the session under its new token
    flash(request, "Your password has been changed. You have been signed out on every other device.")
    return _to(SESSIONS_PATH, session_token=change.session_token)


@router.get(SESSIONS_PATH)
def sessions_page(request: Request, session: SessionDep, user: CurrentUser, row: CurrentSession) -> Response:
    return render(request, "accounts/sessions.html", {"sessions": own_account.active_sessions(session, row=row, now=utcnow())})


@router.post(f"{SESSIONS_PATH}/sign-out-others", dependencies=[CsrfChecked])
def sign_out_other_sessions(request: Request, session: SessionDep, user: CurrentUser, row: CurrentSession) -> Response:
    ended = own_account.sign_out_other_sessions(session, row=row)
    flash(request, "You have been signed out on every other device." if ended else "You were not signed in anywhere else.")
    return _to(SESSIONS_PATH)


# --- Administration ----------------------------------------------------------------------------------------------


@router.get("/admin")
def admin_home(request: Request, session: SessionDep, user: Admin) -> Response:
    return render(request, "admin/index.html", {"users": administration.list_users(session)})


@router.get("/admin/users/{user_id}/reset-two-factor")
def admin_reset_two_factor_page(request: Request, session: SessionDep, user: Admin, user_id: RowId) -> Response:
    return render(request, "admin/reset_two_factor.html", {"target": _user_or_not_found(session, user_id)})


@router.post("/admin/users/{user_id}/reset-two-factor", dependencies=[CsrfChecked])
def admin_reset_two_factor(request: Request, session: SessionDep, user: Admin, user_id: RowId, password: str = Form("")) -> Response:
    template, target = "admin/reset_two_factor.html", _user_or_not_found(session, user_id)
    if not password:
        return render(request, template, {"target": target, "errors": {"password": "Enter your password"}})
    check = own_account.reset_two_factor_with_password(session, admin_id=user.id, password=password, target=target,
                                                       address=client_address(request), now=utcnow())
    if check.outcome == "throttled":
        return _too_many_attempts(request, template, check.retry_after, {"target": target}, field="password")
    if check.outcome == "wrong":
        return render(request, template, {"target": target, "errors": {"password": "Your password is not correct"}})
    flash(request, f"{target.display_name} will set up a new authenticator app when they next sign in.")
    return _to("/admin")


def _user_or_not_found(session, user_id: int) -> User:
    target = session.get(User, user_id)
    if target is None:
        raise NotFound("No such user.")
    return target
