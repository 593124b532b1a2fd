"""Fixtures for the outbox worker tests: a worker with a fixed clock, incidents posted through the police API, LA officers."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

BRIMINGTON_JUNIOR = "112517"  # open Derbyshire (830) junior school, ages 7-11


def dob(age: int) -> str:
    today = date.today()
    return date(today.year - age, 1, 15).isoformat() if today.month > 1 else date(today.year - age - 1, 6, 15).isoformat()


def child_entry(reference: str = "C1", **overrides) -> dict:
    entry = {
        "child_reference": reference, "given_name": "Ellie", "family_name": "Brookes", "date_of_birth": dob(9),
        "education_status": "attends_setting", "setting_urn": BRIMINGTON_JUNIOR, "home_la_code": "830",
    }
    entry.update(overrides)
    return entry


@pytest.fixture
def child():
    """Builds one child of an incident body: by default a 9-year-old at Brimington Junior."""
    return child_entry


@pytest.fixture
def post_incident(client, police_key, db):
    """Posts an incident through the real API; returns the notifications as the API answered, and commits nothing else."""

    def post(*children: dict, reference: str | None = None, summary: str = "Argument between adults; police attended.") -> list[dict]:
        body = {
            "police_reference": reference or f"DC-{uuid.uuid4().hex[:8]}",
            "occurred_at": (datetime.now(UTC) - timedelta(hours=8)).isoformat(),
            "risk_level": "medium", "summary": summary, "children": list(children) or [child_entry()],
        }
        response = client.post("/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {police_key}"})
        assert response.status_code == 201, response.text
        db.expire_all()
        return response.json()["notifications"]

    return post


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
    from service.alerts.senders import LoggingEmailSender
    from service.alerts.webhooks import WebhookSender
    from service.alerts.worker import OutboxWorker

    senders = []

    def make(*, email_sender=None, worker_id: str = "test-worker", max_attempts: int = 3,
             escalate_after: timedelta = timedelta(hours=2), **options) -> OutboxWorker:
        # The test's own session must not hold SQLite's write lock while the worker writes.
        db.commit()
        webhook_sender = WebhookSender()
        senders.append(webhook_sender)
        return OutboxWorker(worker_id=worker_id, email_sender=email_sender or LoggingEmailSender(keep_last=10_000),
                            webhook_sender=webhook_sender, max_attempts=max_attempts, escalate_after=escalate_after,
                            clock=clock, rng=lambda: 0.5, **options)

    yield make
    for sender in senders:
        sender.close()
