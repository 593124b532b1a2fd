"""One-off messages for the next page (Post/Redirect/Get), kept in the signed-in portal session row.

The row is whatever the accounts layer put on request.state.portal_session; web reads only its `flashes` list, so
this module needs nothing from accounts (accounts builds on web, never the other way round).
"""

from typing import Any

from fastapi import Request
from sqlalchemy import inspect as sa_inspect


def flash(request: Request, text: str, *, kind: str = "success", link: tuple[str, str] | None = None) -> None:
    """A message for the next page. Needs CurrentUser (or a role dependency) on the route: it lives in the session.
    `link` is (href, words): a link in the banner to what comes next, such as a form further down the page."""
    row: Any = getattr(request.state, "portal_session", None)
    if row is None:
        raise RuntimeError("flash() needs a signed-in route (CurrentUser or a role dependency).")
    message = {"kind": kind, "text": text}
    if link:
        message["link_href"], message["link_text"] = link
    row.flashes = [*(row.flashes or []), message]
    request.state.db_session.add(row)


def pop_flashes(request: Request) -> list[dict]:
    """The messages waiting for this page, taken out of the session so that they show once."""
    row: Any = getattr(request.state, "portal_session", None)
    if row is None:
        return []
    state = sa_inspect(row)
    if state.detached or state.deleted or state.was_deleted:
        return []  # the request failed and rolled back; the messages wait for the next page
    pending = list(row.flashes or [])
    if pending:
        row.flashes = []
        request.state.db_session.add(row)
    return pending
