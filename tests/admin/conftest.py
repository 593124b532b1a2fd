"""An admin signed in through the real pages, failed alerts in the outbox, and a CSRF token for any signed-in client."""

import hashlib

import pytest

from service.alerts.models import OutboxMessage
from service.db import utcnow
from service.web.cookies import SESSION_COOKIE
from service.web.csrf import _sign


@pytest.fixture
def admin(make_user):
    return make_user("admin", display_name="Ada Admin")


@pytest.fixture
def admin_client(client, admin, sign_in):
    sign_in(client, admin)
    return client


@pytest.fixture
def csrf_for():
    """The token this signed-in browser's pages carry: lets a test post as someone who has no admin form to copy it from."""
    def token(client) -> str:
        return _sign("session:" + hashlib.sha256(client.cookies[SESSION_COOKIE].encode()).hexdigest())

    return token


@pytest.fixture
def add_alert(db):
    def add(*, state: str = "dead", audience: str = "setting", audience_ref: str = "112517", attempts: int = 8,
            last_error: str | None = "no recipients", created_at=None) -> OutboxMessage:
        message = OutboxMessage(template="notification_waiting", audience=audience, audience_ref=audience_ref,
                                link="https://encompass.test/notifications/n-1", notification_id=None, state=state,
                                attempts=attempts, last_error=last_error, created_at=created_at or utcnow())
        db.add(message)
        db.commit()
        return message

    return add
