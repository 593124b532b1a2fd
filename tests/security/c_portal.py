"""Plumbing for the test_c_* security tests: a signed-in browser's CSRF token, the banner text a page shows, and an
outbox message's link (sealed at rest for one-time links)."""

import hashlib

from bs4 import BeautifulSoup

NOTTINGHAM_SETTING = "122403"  # an open Nottinghamshire (891) setting: another LA's


def csrf_for(client) -> str:
    """The token every form of this signed-in browser carries, without needing a page that has a form."""
    from service.web.cookies import SESSION_COOKIE
    from service.web.csrf import _sign

    return _sign("session:" + hashlib.sha256(client.cookies[SESSION_COOKIE].encode()).hexdigest())


def banners(response) -> list[str]:
    soup = BeautifulSoup(response.text, "html.parser")
    return [" ".join(b.get_text(" ", strip=True).split()) for b in soup.select(".govuk-notification-banner__content")]


def outbox_link(message) -> str:
    from service.alerts import outbox

    return getattr(outbox, "open_link", lambda stored: stored)(message.link)
