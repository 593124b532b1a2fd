"""HTML error pages for the portal; the police API keeps its problem+json answers."""

import logging
from datetime import timedelta

from fastapi import FastAPI, Request
from sqlmodel import col, func, select
from starlette.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from service.notifications.scope import NoLongerYours
from service.problems import DomainError, FormInvalid, problem_response
from service.web.forms import form_page_for
from service.web.security import security_headers
from service.web.templates import render

API_PREFIXES = ("/api/", "/healthz", "/readyz")
log = logging.getLogger(__name__)


class RedirectTo(Exception):
    """Raised by portal dependencies to send the browser elsewhere, e.g. to sign in."""

    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


# (heading, paragraphs) in our own words; never the exception's text, which may carry internals.
ERROR_PAGES: dict[int, tuple[str, tuple[str, ...]]] = {
    400: ("Sorry, there is a problem with that request", ("Go back, refresh the page and try again.",)),
    403: ("You cannot see this page", ("If you think you should be able to, contact your local authority's Operation Encompass team.",)),
    404: ("Page not found", ("If you typed the web address, check it is correct.",
                             "If you followed a link to a notification, it may belong to a setting or area you are not part of.")),
    405: ("Sorry, there is a problem with that request", ("Go back and try again.",)),
    409: ("This notification changed while you had it open", ("Someone else passed it on, corrected it or closed it at the same time.",
                                                              "Go back and refresh the page to see where it is now.")),
    429: ("Too many attempts", ("Wait a short while, then try again.",)),
    500: ("Sorry, there is a problem with the service", ("Try again later.",
                                                        "If a child is at immediate risk, call 999.")),
}
# An owner that lost a notification (police corrected it, or it was handed over) learns only that, never the child.
NO_LONGER_YOURS_PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "corrected": ("This notification was corrected", (
        "Police sent a corrected version of this notification, and the corrected version is not for your setting.",
        "You do not need to do anything. If you think it should be with you, contact your local authority's "
        "Operation Encompass team.")),
    "moved": ("This notification is no longer with you", (
        "It was passed to someone else, for example the local authority or the child's own school.",
        "You do not need to do anything. If you think it should be with you, contact your local authority's "
        "Operation Encompass team.")),
}
CSRF_PAGE = ("This form has expired", ("This can happen if the page was open for a long time or you signed in again in another tab.",
                                       "Go back, refresh the page and try again."))


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def render_error(request: Request, status: int, *, headers: dict[str, str] | None = None, csrf: bool = False,
                 page: tuple[str, tuple[str, ...]] | None = None) -> Response:
    heading, paragraphs = page or (CSRF_PAGE if csrf else ERROR_PAGES.get(status, ERROR_PAGES[400 if status < 500 else 500]))
    response = render(request, "errors/error.html", {"heading": heading, "paragraphs": paragraphs}, status_code=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _show_form_again(page, exc: FormInvalid) -> Response:
    from service.db import unit_of_work

    with unit_of_work() as session:
        response = page(session, exc.errors)
    response.status_code = 400
    return response


# Denied access on these URLs by a signed-in user is audited as `access.denied`, at most DENIALS_AUDITED times per
# user in DENIAL_WINDOW, then once as `access.denied_limited`, so a scan cannot flood the trail; the rest are logged.
AUDITED_DENIAL_PREFIXES = ("/notifications", "/la", "/admin", "/police")
DENIALS_AUDITED = 20
DENIAL_WINDOW = timedelta(minutes=10)
# What a route's path parameter names, for the audit row's object type.
PATH_PARAMETER_OBJECTS = {"notification_id": "notification", "user_id": "user_account", "message_id": "outbox_message",
                          "la_code": "local_authority", "queue": "la_queue", "token": "account_token"}


def _is_audited_denial(request: Request, status: int) -> bool:
    path = request.url.path
    return status in (403, 404) and any(path == prefix or path.startswith(prefix + "/") for prefix in AUDITED_DENIAL_PREFIXES)


def _signed_in_user_id(session, request: Request) -> int | None:
    """The portal user, known to the request once its dependencies ran; before that (a forged form is refused first,
    an unknown path matches no route) the session cookie says who it is."""
    from service.accounts import sessions
    from service.web.cookies import SESSION_COOKIE

    user = getattr(request.state, "portal_user", None)
    if user is not None:
        return user.id
    row = sessions.find(session, request.cookies.get(SESSION_COOKIE))
    return row.user_id if row is not None and row.stage == "signed_in" else None


def _audit_refusal(request: Request, status: int, lost: NoLongerYours | None = None) -> None:
    """The request's own transaction was rolled back with the error, so the refusal is recorded in one of its own:
    `notification.access_refused` for an owner that lost a notification, `access.denied` for any other 403 or 404."""
    from service.audit import service as audit_service
    from service.audit.models import AuditEvent
    from service.audit.service import Actor
    from service.db import unit_of_work, utcnow

    route = getattr(request.scope.get("route"), "path", None) or "(unmatched)"
    with unit_of_work() as session:
        user_id = _signed_in_user_id(session, request)
        actor = Actor(type="user", id=str(user_id), source="portal") if user_id else Actor(type="anonymous", id="-", source="portal")
        if lost is not None:
            audit_service.record(session, actor, "notification.access_refused", "notification", lost.notification_id,
                                 why=lost.why, route=route)
            return
        if user_id is None:
            return
        recent = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.at >= utcnow() - DENIAL_WINDOW, AuditEvent.actor_type == "user", AuditEvent.actor_id == actor.id,
            col(AuditEvent.action).in_(("access.denied", "access.denied_limited")))).one()
        params = {name: str(value)[:64] for name, value in request.path_params.items()}
        object_type = next((PATH_PARAMETER_OBJECTS.get(name, "route") for name in params), "route")
        object_id = next(iter(params.values()), "-")
        detail = {"route": route, "method": request.method, "status": status, "params": params}
        if recent < DENIALS_AUDITED:
            audit_service.record(session, actor, "access.denied", object_type, object_id, **detail)
        elif recent == DENIALS_AUDITED:
            audit_service.record(session, actor, "access.denied_limited", object_type, object_id, **detail,
                                 limit=DENIALS_AUDITED, window_minutes=int(DENIAL_WINDOW.total_seconds() // 60))
        else:
            log.warning("access denied (not audited: over the limit) user=%s %s %s", user_id, request.method, route,
                        extra={"fields": {"actor": f"user:{user_id}", "route": route, "status": status}})


def _is_nul_refused_by_database(exc: DataError) -> bool:
    """psycopg refuses a NUL character in a text parameter before sending the query (SQLite stores it)."""
    return "NUL (0x00)" in str(getattr(exc, "orig", ""))


def install_html_errors(app: FastAPI) -> None:
    """Portal paths get GOV.UK error pages; API paths keep the problem handlers installed by service.problems."""
    api_validation_error = app.exception_handlers[RequestValidationError]
    api_http_error = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api_path(request.url.path):
            return await api_http_error(request, exc)
        if _is_audited_denial(request, exc.status_code):
            await run_in_threadpool(_audit_refusal, request, exc.status_code)
        return render_error(request, exc.status_code, headers=getattr(exc, "headers", None), csrf=exc.detail == "csrf")

    @app.exception_handler(FormInvalid)
    async def form_invalid(request: Request, exc: FormInvalid) -> Response:
        page = form_page_for(request)
        if is_api_path(request.url.path) or page is None:
            return await domain_error(request, exc)
        return await run_in_threadpool(_show_form_again, page, exc)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if is_api_path(request.url.path):
            return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)
        if isinstance(exc, NoLongerYours):
            await run_in_threadpool(_audit_refusal, request, exc.status, exc)
            if exc.why == "withdrawn":  # its own page: what to do with something sent in error
                return render(request, "errors/withdrawn.html", {}, status_code=exc.status)
            return render_error(request, exc.status, headers=exc.headers, page=NO_LONGER_YOURS_PAGES[exc.why])
        if _is_audited_denial(request, exc.status):
            await run_in_threadpool(_audit_refusal, request, exc.status)
        return render_error(request, exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_api_path(request.url.path):
            return await api_validation_error(request, exc)
        return render_error(request, 400)

    @app.exception_handler(RedirectTo)
    async def redirect(_request: Request, exc: RedirectTo) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        if _is_nul_refused_by_database(exc) and not is_api_path(request.url.path):
            # A NUL typed into a portal URL or form (PostgreSQL cannot hold one): the request's fault, not ours.
            return render_error(request, 400)
        raise exc  # anything else the database refused is ours: server_error below

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # This handler runs outside the middleware stack, so the security headers are added here too.
        # The route's pattern, not the path: invitation and reset paths carry one-time tokens.
        log.exception("Unhandled error on %s %s", request.method, getattr(request.scope.get("route"), "path", "?"))
        nonce = getattr(request.state, "csp_nonce", "")
        headers = security_headers(nonce, request.url.path)
        if is_api_path(request.url.path):
            return problem_response(500, "Internal server error", headers=headers)
        try:
            return render_error(request, 500, headers=headers)
        except Exception:  # the page itself failed (e.g. the database is down): plain text still says something useful
            return Response("Sorry, there is a problem with the service. Try again later.", status_code=500,
                            media_type="text/plain", headers=headers)
