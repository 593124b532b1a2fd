"""A reset request does the same work whether or not the email has an account, so its timing tells nobody which.

Never timed here (tests do not assert on time): the work is counted instead, every SQL statement and every token made
or hashed. bench/reset_timing.py prints the timings.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from service.accounts import service as accounts_service
from service.accounts.models import AccountToken
from service.alerts.models import OutboxMessage
from service.audit.models import AuditEvent
from tests.alerts.conftest import clock, make_worker  # noqa: F401  (the alert tests' worker with a settable clock)


def _work_of_one_request(engine, monkeypatch, email: str, now: datetime) -> dict:
    """The SQL statements (in order, without their values) and the token calls of one request, commit included."""
    statements, calls = [], {"token_urlsafe": 0, "token_hash": 0}

    def record(_connection, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    def counted(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(accounts_service.secrets, "token_urlsafe", counted("token_urlsafe", accounts_service.secrets.token_urlsafe))
    monkeypatch.setattr(accounts_service, "_token_hash", counted("token_hash", accounts_service._token_hash))
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            accounts_service.request_password_reset(session, email=email, now=now)
            session.commit()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        monkeypatch.undo()
    return {"statements": statements, **calls}


def test_a_reset_request_does_the_same_work_for_a_known_and_an_unknown_email(db, engine, make_user, monkeypatch):
    known = make_user("setting_staff", urns=("112517",))
    deactivated = make_user("setting_staff", is_active=False)
    asked_twice = make_user("admin")
    now = datetime.now(UTC)
    # A reset link went out a minute ago: another one is not sent yet, and answering must not show that either.
    db.add(AccountToken(token_hash="0" * 64, purpose="password_reset", user_id=asked_twice.id,
                        created_at=now - timedelta(minutes=1), expires_at=now + timedelta(hours=1)))
    db.commit()

    unknown = _work_of_one_request(engine, monkeypatch, "nobody.here@example.gov.uk", now)
    assert unknown["statements"], "the request was seen doing nothing at all: the counting is broken"
    for email in (known.email, known.email.upper(), deactivated.email, asked_twice.email):
        assert _work_of_one_request(engine, monkeypatch, email, now) == unknown, email


def test_the_worker_then_sends_one_reset_to_the_account_and_nothing_for_an_unknown_email(db, make_user, make_worker,
                                                                                       clock):
    user = make_user("setting_staff", urns=("112517",))
    for email in (user.email, "nobody.here@example.gov.uk", user.email):  # asked twice within five minutes
        accounts_service.request_password_reset(db, email=email, now=clock.now)
    worker = make_worker()
    worker.run_once()

    [email] = worker.email_sender.sent
    assert (email.template, email.email_address) == ("password_reset", user.email)
    assert "/reset-password/" in email.link
    db.expire_all()
    assert [m.audience for m in db.exec(select(OutboxMessage).where(OutboxMessage.state != "sent"))] == []
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "password_reset.requested")).all()) == 1

    clock.advance(minutes=6)
    accounts_service.request_password_reset(db, email=user.email, now=clock.now)
    db.commit()
    worker.run_once()
    assert len(worker.email_sender.sent) == 2, "a new request after five minutes sends a new link"
