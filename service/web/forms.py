"""Forms with errors take one path: the service raises FormInvalid, the request's transaction rolls back, and the
portal's handler shows the page again with a GOV.UK error summary, through the page the route registered here."""

from collections.abc import Callable

from fastapi import Request
from sqlmodel import Session
from starlette.responses import Response

FormPage = Callable[[Session, dict[str, str]], Response]


def on_invalid(request: Request, page: FormPage) -> None:
    """Says how to show this route's form again: page(session, errors) -> a 400 response. Read-only pages only:
    the re-render runs in a fresh transaction after the failed one rolled back."""
    request.state.form_page = page


def form_page_for(request: Request) -> FormPage | None:
    return getattr(request.state, "form_page", None)
