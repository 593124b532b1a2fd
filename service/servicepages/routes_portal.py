"""The accessibility statement, privacy notice and cookies page: open to everyone, signed in or not."""

from fastapi import APIRouter, Request

from service.accounts.deps import current_user
from service.config import get_settings
from service.db import SessionDep
from service.servicepages.content import service_facts
from service.web.cookies import BROWSER_COOKIE, SESSION_COOKIE
from service.web.errors import RedirectTo
from service.web.templates import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session, template: str, **context):
    try:  # a signed-in reader still sees who they are signed in as; anyone else reads the page too
        current_user(request, session)
    except RedirectTo:
        pass
    return render(request, template, {"facts": service_facts(get_settings()), **context})


@router.get("/accessibility")
def accessibility_statement(request: Request, session: SessionDep):
    return _page(request, session, "servicepages/accessibility.html")


@router.get("/privacy")
def privacy_notice(request: Request, session: SessionDep):
    return _page(request, session, "servicepages/privacy.html")


@router.get("/cookies")
def cookies_page(request: Request, session: SessionDep):
    return _page(request, session, "servicepages/cookies.html", session_cookie=SESSION_COOKIE, browser_cookie=BROWSER_COOKIE)
