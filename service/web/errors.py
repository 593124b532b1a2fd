"""HTML error pages for the portal; the police API keeps its problem+json answers."""

import logging

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
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


def _audit_lost_access(request: Request, exc: NoLongerYours) -> None:
    """The request's own transaction was rolled back with the error, so the attempt is recorded in one of its own."""
    from service.audit import service as audit_service
    from service.audit.service import Actor
    from service.db import unit_of_work

    user = getattr(request.state, "portal_user", None)
    actor = Actor(type="user", id=str(user.id), source="portal") if user else Actor(type="anonymous", id="-", source="portal")
    route = getattr(request.scope.get("route"), "path", "?")
    with unit_of_work() as session:
        audit_service.record(session, actor, "notification.access_refused", "notification", exc.notification_id,
                             why=exc.why, route=route)


def install_html_errors(app: FastAPI) -> None:
    """Portal paths get GOV.UK error pages; API paths keep the problem handlers installed by service.problems."""
    api_validation_error = app.exception_handlers[RequestValidationError]
    api_http_error = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api_path(request.url.path):
            return await api_http_error(request, exc)
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
            await run_in_threadpool(_audit_lost_access, request, exc)
            return render_error(request, exc.status, headers=exc.headers, page=NO_LONGER_YOURS_PAGES[exc.why])
        return render_error(request, exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_api_path(request.url.path):
            return await api_validation_error(request, exc)
        return render_error(request, 400)

    @app.exception_handler(RedirectTo)
    async def redirect(_request: Request, exc: RedirectTo) -> Response:
        return RedirectResponse(exc.location, status_code=303)

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
