"""Portal pages for accounts: sign in with a second factor, sign out, invitations, password reset, the admin landing page."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from service.accounts import sessions
from service.accounts.deps import Admin, SIGN_IN_PATH
from service.db import SessionDep
from service.web.cookies import SESSION_COOKIE
from service.web.templates import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def start_page(request: Request, session: SessionDep) -> Response:
    from service.accounts.deps import LANDING_PATHS
    from service.accounts.models import User

    row = sessions.find(session, request.cookies.get(SESSION_COOKIE))
    user = session.get(User, row.user_id) if row is not None and row.stage == "signed_in" else None
    return RedirectResponse(LANDING_PATHS.get(user.kind, SIGN_IN_PATH) if user else SIGN_IN_PATH, status_code=303)


@router.get("/admin")
def admin_home(request: Request, user: Admin) -> Response:
    return render(request, "admin/index.html")
