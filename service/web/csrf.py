"""CSRF tokens: an HMAC bound to the session cookie (or, before sign-in, to a random browser cookie), checked on every POST."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from service.config import get_settings
from service.web.cookies import BROWSER_COOKIE, SESSION_COOKIE, set_private_cookie

FIELD_NAME = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class CsrfToken:
    value: str
    new_browser_secret: str | None = None  # set when this response must give the browser its first CSRF cookie


def _sign(binding: str) -> str:
    return hmac.new(get_settings().secret_key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def _binding(request: Request) -> str | None:
    # A token bound to the session changes at sign-in, so a token captured before sign-in is useless after it.
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        return "session:" + hashlib.sha256(session_token.encode()).hexdigest()
    browser_secret = request.cookies.get(BROWSER_COOKIE)
    return f"browser:{browser_secret}" if browser_secret else None


def token_for(request: Request) -> CsrfToken:
    binding = _binding(request)
    if binding is not None:
        return CsrfToken(_sign(binding))
    browser_secret = getattr(request.state, "csrf_browser_secret", None) or secrets.token_urlsafe(32)
    request.state.csrf_browser_secret = browser_secret
    return CsrfToken(_sign(f"browser:{browser_secret}"), new_browser_secret=browser_secret)


def remember(response: Response, token: CsrfToken) -> None:
    if token.new_browser_secret:
        set_private_cookie(response, BROWSER_COOKIE, token.new_browser_secret)


def token_is_valid(request: Request, submitted: str | None) -> bool:
    binding = _binding(request)
    return bool(binding and submitted) and hmac.compare_digest(_sign(binding), submitted)


async def verify_csrf(request: Request) -> None:
    """Dependency for portal POST handlers (or a whole router): 400 unless the form carries this browser's token."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()  # Starlette keeps the parsed form, so the handler can read it again
    submitted = form.get(FIELD_NAME)
    if not token_is_valid(request, submitted if isinstance(submitted, str) else None):
        raise HTTPException(status_code=400, detail="csrf")
