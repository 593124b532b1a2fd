"""Security headers on every response, including a fresh CSP nonce per request, set in this one place."""

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS_PREFIX = "/assets/"


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ))


def security_headers(nonce: str, path: str) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(nonce),
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # invitation and reset links carry tokens in the path
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    # Pages and API answers carry personal data: a shared school computer's cache must not keep them.
    # The GOV.UK Frontend files are the same for everyone, so they may be cached.
    headers["Cache-Control"] = "public, max-age=3600" if path.startswith(ASSETS_PREFIX) else "no-store"
    return headers


class SecurityHeaders:
    """Pure ASGI middleware (not BaseHTTPMiddleware) so streaming and background tasks are unaffected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        headers_to_add = security_headers(nonce, scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in headers_to_add.items():
                    if name == "Cache-Control" and name in headers and value != "no-store":
                        continue
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
