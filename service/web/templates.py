"""The portal's Jinja environment and render(): every page gets its CSP nonce, CSRF token, signed-in user, flashes and
the service's branding."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from sqlmodel import Session
from starlette.responses import HTMLResponse

from service.config import REPO_ROOT, get_settings
from service.db import get_engine
from service.servicepages.content import SERVICE_NAME, SignedInAs, branding
from service.servicepages.service import identity_of
from service.web import csrf
from service.web.flash import pop_flashes
from service.wording import FILTERS, GLOBALS

TEMPLATE_DIR = REPO_ROOT / "templates"
log = logging.getLogger(__name__)


def _require_csrf_token(value: Any) -> str:
    # A POST form without its token would fail for every user; fail loudly in development and tests instead.
    if not value or not isinstance(value, str):
        raise RuntimeError("A form was rendered without a CSRF token: import the forms macros 'with context'.")
    return value


def field_error(errors: Mapping[str, str] | None, field_id: str) -> dict[str, str] | None:
    """The errorMessage parameter for a GOV.UK field macro, or None when the field is fine."""
    message = (errors or {}).get(field_id)
    return {"text": message} if message else None


def _environment() -> Environment:
    environment = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(str(TEMPLATE_DIR)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]),
        autoescape=select_autoescape(("html", "xml"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["field_error"] = field_error
    environment.globals["service_name"] = SERVICE_NAME
    environment.globals["assetPath"] = "/assets"
    environment.globals.update(GLOBALS)
    environment.filters["required_csrf"] = _require_csrf_token
    environment.filters.update(FILTERS)  # London dates and times, ages: {{ n.received_at | time_on_day }}
    return environment


templates = Jinja2Templates(env=_environment())


def _signed_in_as(request: Request) -> SignedInAs | None:
    """Who the header says is signed in, by name; looked up once per request, in the request's own transaction."""
    user = getattr(request.state, "portal_user", None)
    if user is None:
        return None
    known = getattr(request.state, "signed_in_as", None)
    if known is not None:
        return known
    try:
        session = getattr(request.state, "db_session", None)
        if session is not None and session.in_transaction():
            known = identity_of(session, user)
        else:  # an error page after the request's transaction ended: reusing its session would leak a connection
            with Session(get_engine()) as own_session:
                known = identity_of(own_session, user)
    except Exception:  # an error page while the database is failing still shows the person's own name
        log.warning("Could not look up the names of the signed-in user's settings or LAs", exc_info=True)
        known = SignedInAs(name=user.display_name, acting_for="")
    request.state.signed_in_as = known
    return known


def render(request: Request, template_name: str, context: Mapping[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """Render a portal page. `errors` in the context ({field_id: message}, in page order) drives the error summary."""
    token = csrf.token_for(request)
    page: dict[str, Any] = {
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "cspNonce": getattr(request.state, "csp_nonce", ""),  # the name govuk_frontend_jinja's template reads
        "csrf_token": token.value,
        "current_user": getattr(request.state, "portal_user", None),
        "flashes": pop_flashes(request),
        "branding": branding(get_settings()),
        "signed_in_as": _signed_in_as(request),
        "errors": {},
    }
    page.update(context or {})
    response = templates.TemplateResponse(request, template_name, page, status_code=status_code)
    csrf.remember(response, token)
    return response
