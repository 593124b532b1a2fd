"""The portal's Jinja environment and render(): every page gets its CSP nonce, CSRF token, signed-in user and flashes."""

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

from service.config import REPO_ROOT
from service.web import csrf
from service.web.flash import pop_flashes
from service.wording import FILTERS, GLOBALS

SERVICE_NAME = "Operation Encompass"
TEMPLATE_DIR = REPO_ROOT / "templates"


def page_title(page: str, *, has_errors: bool = False) -> str:
    """GOV.UK title pattern; screen reader users hear 'Error:' first, before anything else on the page."""
    return f"{'Error: ' if has_errors else ''}{page} – {SERVICE_NAME} – GOV.UK"


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
    environment.globals["page_title"] = page_title
    environment.globals["field_error"] = field_error
    environment.globals["service_name"] = SERVICE_NAME
    environment.globals["assetPath"] = "/assets"
    environment.globals.update(GLOBALS)
    environment.filters["required_csrf"] = _require_csrf_token
    environment.filters.update(FILTERS)  # London dates and times, ages: {{ n.received_at | time_on_day }}
    return environment


templates = Jinja2Templates(env=_environment())


def render(request: Request, template_name: str, context: Mapping[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """Render a portal page. `errors` in the context ({field_id: message}, in page order) drives the error summary."""
    token = csrf.token_for(request)
    page: dict[str, Any] = {
        "csp_nonce": getattr(request.state, "csp_nonce", ""),
        "cspNonce": getattr(request.state, "csp_nonce", ""),  # the name govuk_frontend_jinja's template reads
        "csrf_token": token.value,
        "current_user": getattr(request.state, "portal_user", None),
        "flashes": pop_flashes(request),
        "errors": {},
    }
    page.update(context or {})
    response = templates.TemplateResponse(request, template_name, page, status_code=status_code)
    csrf.remember(response, token)
    return response
