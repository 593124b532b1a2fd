"""Fixtures for the outbox worker tests: a worker with a fixed clock, a child builder for incidents, LA officers."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import child_entry


@pytest.fixture
def child():
    """Builds one child of an incident body: by default a 9-year-old at Brimington Junior."""
    return child_entry


@pytest.fixture
def la_officer(db):
    from service.accounts.models import LaMembership, User

    def make(la_code: str = "830", *, active: bool = True):
        user = User(email=f"officer.{uuid.uuid4().hex[:6]}@{la_code}.example.gov.uk", display_name="LA officer",
                    kind="la_officer", is_active=active)
        db.add(user)
        db.flush()
        db.add(LaMembership(user_id=user.id, la_code=la_code))
        db.commit()
        return user

    return make


class Clock:
    """A settable clock for the worker, so tests say exactly when each pass runs."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    # A few minutes ahead of the wall clock, so every alert enqueued during the test is already due.
    return Clock(datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5))


@pytest.fixture
def make_worker(db, clock):
    from service.alerts.webhooks import WebhookSender
    from service.alerts.worker import OutboxWorker
    from tests.alerts.fakes import InboxSender

    senders = []

    def make(*, email_sender=None, worker_id: str = "test-worker", max_attempts: int = 3,
             escalate_after: timedelta = timedelta(hours=2), **options) -> OutboxWorker:
        # The test's own session must not hold SQLite's write lock while the worker writes.
        db.commit()
        webhook_sender = WebhookSender()
        senders.append(webhook_sender)
        # By default emails are delivered, as Notify would accept them; pass LoggingEmailSender to see it pretend.
        return OutboxWorker(worker_id=worker_id, email_sender=email_sender or InboxSender(keep_last=10_000),
                            webhook_sender=webhook_sender, max_attempts=max_attempts, escalate_after=escalate_after,
                            clock=clock, rng=lambda: 0.5, **options)

    yield make
    for sender in senders:
        sender.close()
