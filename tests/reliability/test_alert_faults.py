"""Alert delivery under faults: a worker killed mid-send, and GOV.UK Notify failing for an hour and recovering."""

import itertools
import json
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import respx
from sqlmodel import select

from tests.reliability.conftest import REPO_ROOT, server_environment
from tests.builders import BRIMINGTON_JUNIOR, child_entry, incident_body

NOTIFY = "https://notify.test"
SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
NOTIFY_KEY = f"reliability-{SERVICE_ID}-3d844edf-8d35-48ac-975b-e847b4f122b0"

# A worker whose email sender announces the alert and then hangs, as if Notify never answered.
HANGING_WORKER = """
import sys, time
from service.alerts.worker import build_worker

class HangingSender:
    def send(self, *, email_address, template, link, reference):
        print("sending", reference, flush=True)
        time.sleep(3600)

build_worker(worker_id="doomed", email_sender=HangingSender()).send_due(max_batches=1)
"""


class Clock:
    """The worker's clock, moved by the test: an hour passes without anyone waiting for it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def post(client, police_key, *children) -> list[dict]:
    response = client.post("/api/v1/incidents", json=incident_body(children=list(children)),
                           headers={"Authorization": f"Bearer {police_key}"})
    assert response.status_code == 201, response.text
    return response.json()["notifications"]


def outbox(db):
    from service.alerts.models import OutboxMessage

    db.expire_all()
    return db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def make_worker(db, clock, email_sender, *, worker_id: str, max_attempts: int):
    from service.alerts.webhooks import WebhookSender
    from service.alerts.worker import OutboxWorker

    db.commit()  # the test's session must not hold SQLite's write lock while the worker writes
    return OutboxWorker(worker_id=worker_id, email_sender=email_sender, webhook_sender=WebhookSender(),
                        max_attempts=max_attempts, clock=clock, rng=random.Random(8).random)


def test_alert_held_by_a_killed_worker_is_sent_once_its_lease_runs_out(db, client, police_key, onboard, database_url):
    from service.alerts.senders import LoggingEmailSender
    from service.alerts.service import LEASE
    from service.notifications.models import Notification
    from tests.alerts.fakes import InboxSender

    onboard(BRIMINGTON_JUNIOR)
    [notification] = post(client, police_key, child_entry())
    # Fan the group alert out to the Key Adult first, so the doomed worker's first claim is the email itself.
    make_worker(db, Clock(datetime.now(UTC)), LoggingEmailSender(), worker_id="fan-out", max_attempts=8).send_due(max_batches=1)
    [email] = [m for m in outbox(db) if m.audience == "user"]

    doomed = subprocess.Popen([sys.executable, "-c", HANGING_WORKER], cwd=REPO_ROOT, env=server_environment(database_url),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = doomed.stdout.readline()
        assert line.strip() == f"sending outbox-{email.id}", line + (doomed.stdout.read() if doomed.poll() is not None else "")
    finally:
        doomed.kill()  # SIGKILL while it waits on the send: no cleanup, the claim stays in the database
        doomed.wait(timeout=30)
    [held] = [m for m in outbox(db) if m.id == email.id]
    assert (held.state, held.attempts) == ("sending", 1)

    rescuer_sender = InboxSender()  # sends, as Notify would, so the notification becomes sent (delivered on receipt)
    clock = Clock(datetime.now(UTC))
    rescuer = make_worker(db, clock, rescuer_sender, worker_id="rescuer", max_attempts=8)
    rescuer.run_once()
    assert rescuer_sender.sent == [], "a live lease is respected: the alert is not sent twice at once"

    clock.now = held.lease_expires_at + timedelta(seconds=1)
    assert held.lease_expires_at - datetime.now(UTC) <= LEASE
    rescuer.run_once()
    assert [sent.reference for sent in rescuer_sender.sent] == [f"outbox-{email.id}"]
    [done] = [m for m in outbox(db) if m.id == email.id]
    assert (done.state, done.attempts, done.claimed_by) == ("sent", 2, "rescuer")
    assert db.get(Notification, notification["id"]).status == "sent"


def run_outage(db, client, police_key, onboard, *, outage: timedelta, simulate: timedelta):
    """Posts incidents that alert a Key Adult, a deputy and an LA team, then runs the worker minute by minute
    against a Notify that answers 500 or times out until `outage` has passed. Returns (outbox, Notify successes)."""
    from service.alerts.notify import NotifyClient
    from service.alerts.senders import TEMPLATE_SUBJECTS, NotifyEmailSender
    from service.config import get_settings

    onboard(BRIMINGTON_JUNIOR)
    onboard(BRIMINGTON_JUNIOR, role="deputy")
    for _ in range(4):
        post(client, police_key, child_entry("C1"), child_entry("C2", education_status="missing_education"))

    start = datetime.now(UTC) + timedelta(minutes=1)
    clock = Clock(start)
    delivered: Counter[str] = Counter()
    failures = itertools.count()

    def notify(request: httpx.Request) -> httpx.Response:
        if clock.now < start + outage:
            if next(failures) % 2:
                raise httpx.ReadTimeout("Notify did not answer", request=request)
            return httpx.Response(500, json={"errors": [{"error": "Exception", "message": "Internal server error"}]})
        delivered[json.loads(request.content)["reference"]] += 1
        return httpx.Response(201, json={"id": f"notify-{sum(delivered.values())}"})

    templates = {name: f"00000000-0000-4000-8000-{i:012d}" for i, name in enumerate(TEMPLATE_SUBJECTS)}
    with httpx.Client() as http, respx.mock(assert_all_mocked=True) as mock:
        mock.post(f"{NOTIFY}/v2/notifications/email").mock(side_effect=notify)
        worker = make_worker(db, clock, NotifyEmailSender(NotifyClient(NOTIFY_KEY, base_url=NOTIFY, http=http), templates),
                             worker_id="outage", max_attempts=get_settings().outbox_max_attempts)
        while clock.now < start + simulate:
            worker.run_once()
            clock.now += timedelta(minutes=1)
            if all(m.state in ("sent", "dead") for m in outbox(db)):
                break
    return outbox(db), delivered


def test_notify_down_for_an_hour_then_every_alert_is_delivered_once(db, client, police_key, onboard):
    from service.config import get_settings
    from service.notifications.models import Notification

    messages, delivered = run_outage(db, client, police_key, onboard, outage=timedelta(hours=1), simulate=timedelta(hours=12))

    emails = [m for m in messages if m.audience in ("user", "la_team")]
    assert len(emails) >= 4 * 3, "each incident alerts the Key Adult, the deputy and the LA team"
    assert [m for m in messages if m.state != "sent"] == [], "nothing dead-lettered or left behind by a one-hour outage"
    assert delivered == Counter({f"outbox-{m.id}": 1 for m in emails}), "every email delivered, none twice"
    assert all(1 < m.attempts <= get_settings().outbox_max_attempts for m in emails)
    assert {n.status for n in db.exec(select(Notification))} == {"sent"}  # accepted by Notify; receipts not simulated


def test_notify_down_for_good_dead_letters_each_alert_after_exactly_the_configured_attempts(db, client, police_key, onboard):
    from service.config import get_settings

    messages, delivered = run_outage(db, client, police_key, onboard, outage=timedelta(days=30), simulate=timedelta(days=2))

    emails = [m for m in messages if m.audience in ("user", "la_team")]
    assert delivered == Counter()
    assert {(m.state, m.attempts) for m in emails} == {("dead", get_settings().outbox_max_attempts)}
    assert all(m.last_error.startswith(f"gave up after {get_settings().outbox_max_attempts} attempts") for m in emails)
