"""The worker keeps under GOV.UK Notify's 3,000 emails a minute per key, and stops sending when Notify says 429."""

from datetime import timedelta

import httpx
import respx
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.alerts.notify import NotifyClient
from service.alerts.senders import NotifyEmailSender
from service.alerts.worker import NOTIFY_EMAILS_PER_MINUTE
from tests.alerts.fakes import NOTIFY_API_KEY, NOTIFY_TEMPLATE_IDS
from tests.builders import BRIMINGTON_JUNIOR

NOTIFY = "https://notify.test"


def _emails(db):
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.audience == "user").order_by(OutboxMessage.id)))


def test_the_default_rate_is_below_notifys_limit():
    assert 0 < NOTIFY_EMAILS_PER_MINUTE < 3_000


def test_emails_beyond_the_minutes_share_wait_unsent_without_spending_an_attempt(db, onboard, post_incident, make_worker,
                                                                                clock):
    for role in ("key_adult", "deputy", "deputy"):
        onboard(BRIMINGTON_JUNIOR, role=role)
    post_incident()
    worker = make_worker(email_rate_per_minute=2)
    report = worker.run_once()
    assert (report.sent, report.deferred) == (2, 1)
    emails = _emails(db)
    assert sorted(m.state for m in emails) == ["pending", "sent", "sent"]
    [waiting] = [m for m in emails if m.state == "pending"]
    assert waiting.attempts == 0 and waiting.next_attempt_at > clock.now

    clock.advance(seconds=30)  # still inside the minute: the two sent count against it, in any worker
    assert make_worker(email_rate_per_minute=2).run_once().sent == 0
    clock.advance(seconds=31)
    assert make_worker(email_rate_per_minute=2).run_once().sent == 1
    assert sorted(m.state for m in _emails(db)) == ["sent", "sent", "sent"]


def test_a_429_holds_every_email_until_retry_after(db, onboard, post_incident, make_worker, clock):
    for role in ("key_adult", "deputy", "deputy"):
        onboard(BRIMINGTON_JUNIOR, role=role)
    post_incident()
    http = httpx.Client()
    worker = make_worker(email_sender=NotifyEmailSender(NotifyClient(NOTIFY_API_KEY, base_url=NOTIFY, http=http),
                                                        NOTIFY_TEMPLATE_IDS))
    try:
        with respx.mock as mock:
            route = mock.post(f"{NOTIFY}/v2/notifications/email")
            route.side_effect = [httpx.Response(429, headers={"Retry-After": "90"}, json={"errors": []})] + [
                httpx.Response(201, json={"id": f"00000000-0000-4000-8000-00000000000{i}"}) for i in range(3)]
            report = worker.run_once()
            assert route.call_count == 1  # the other two were not tried while Notify asked us to wait
            assert (report.retrying, report.deferred) == (1, 2)
            assert all(m.next_attempt_at >= clock.now + timedelta(seconds=90) for m in _emails(db))
            clock.advance(seconds=60)
            worker.run_once()
            assert route.call_count == 1
            clock.advance(seconds=40)
            worker.run_once()
            assert route.call_count == 4
    finally:
        http.close()
    assert [m.state for m in _emails(db)] == ["sent", "sent", "sent"]
