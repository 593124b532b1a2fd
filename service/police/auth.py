"""Bearer-key authentication, scopes and throttling for the police API."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.config import get_settings
from service.db import SessionDep
from service.police.service import AuthenticatedClient, authenticate
from service.problems import Forbidden, NotAuthenticated, TooManyRequests
from service.ratelimit import TokenBucket

bearer = HTTPBearer(auto_error=False, description="A police API key, issued by `encompass police create-client`.")
_limiter: TokenBucket | None = None


def api_limiter() -> TokenBucket:
    global _limiter
    if _limiter is None or _limiter.rate != get_settings().api_rate_per_minute:
        _limiter = TokenBucket(get_settings().api_rate_per_minute, 60.0)
    return _limiter


def current_client(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> AuthenticatedClient:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("Send your API key as `Authorization: Bearer <key>`.")
    client = authenticate(session, credentials.credentials)
    if client is None:
        raise NotAuthenticated("The API key is not valid, has expired or has been revoked.")
    wait = api_limiter().take(f"client:{client.client_id}")
    if wait:
        raise TooManyRequests(wait)
    return client


def require_scope(scope: str):
    # async: a check this small costs less on the event loop than a hop to the thread pool.
    async def check(request: Request, client: Annotated[AuthenticatedClient, Depends(current_client)]) -> AuthenticatedClient:
        if scope not in client.scopes:
            raise Forbidden(f"This API key does not have the {scope!r} scope.")
        request.state.actor_id = f"police_client:{client.client_id}"
        return client

    return check


IncidentWriter = Annotated[AuthenticatedClient, Depends(require_scope("incidents:write"))]
StatusReader = Annotated[AuthenticatedClient, Depends(require_scope("notifications:read"))]
