"""The portal's cookie names and flags in one place: `__Host-` prefix, Secure, HttpOnly, SameSite, whole-site path."""

from starlette.responses import Response

from service.config import get_settings

SESSION_COOKIE = "__Host-encompass_session"
BROWSER_COOKIE = "__Host-encompass_csrf"


def set_private_cookie(response: Response, name: str, value: str) -> None:
    """A browser-session cookie (no Max-Age): closing the browser on a shared school computer drops it."""
    response.set_cookie(
        name, value, path="/", secure=get_settings().cookie_secure, httponly=True,
        # Lax, not Strict: the emailed "a notification is waiting" link must arrive signed in.
        samesite="lax",
    )


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=get_settings().cookie_secure, httponly=True, samesite="lax")
