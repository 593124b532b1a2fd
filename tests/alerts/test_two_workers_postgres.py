"""Two workers on PostgreSQL at once, each with its own connections: every alert is sent exactly once."""

import os
import threading
import time
from collections import Counter

import pytest
from sqlmodel import select

from service.alerts.models import OutboxMessage
from service.alerts.outbox import enqueue_alert

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(os.environ.get("TEST_DATABASE", "sqlite") != "postgresql",
                       reason="FOR UPDATE SKIP LOCKED needs PostgreSQL; SQLite runs one worker"),
]
BRIMINGTON_JUNIOR = "112517"
GROUP_ALERTS = 200


class SlowRecordingSender:
    """Takes a moment per email, as Notify does, so the two workers' batches overlap."""

    def __init__(self):
        self.sent = []
        self._lock = threading.Lock()

    def send(self, *, email_address, template, link, reference):
        time.sleep(0.002)
        with self._lock:
            self.sent.append((email_address, link, reference))


def test_two_workers_send_each_alert_exactly_once(db, onboard, make_worker):
    people = [onboard(BRIMINGTON_JUNIOR), onboard(BRIMINGTON_JUNIOR, role="deputy")]
    for number in range(GROUP_ALERTS):
        enqueue_alert(db, template="deadline_missed_deputies", audience="setting", audience_ref=BRIMINGTON_JUNIOR,
                      link=f"https://encompass.test/notifications/n-{number}", notification_id=f"n-{number}")
    db.commit()
    sender = SlowRecordingSender()
    workers = [make_worker(email_sender=sender, worker_id=name, batch_size=5) for name in ("worker-a", "worker-b")]
    start = threading.Barrier(len(workers))
    failures = []

    def run(worker):
        try:
            start.wait()
            # Keep going until nothing is left: the other worker may still be fanning out group alerts.
            while True:
                worker.send_due()
                with worker_session() as session:
                    if not session.exec(select(OutboxMessage.id).where(OutboxMessage.state.in_(("pending", "sending")))).first():
                        return
        except Exception as error:  # pragma: no cover - surfaced by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    expected = {(person.email, f"https://encompass.test/notifications/n-{n}") for person in people for n in range(GROUP_ALERTS)}
    assert Counter((address, link) for address, link, _ in sender.sent) == Counter({pair: 1 for pair in expected})
    assert len({reference for *_, reference in sender.sent}) == len(sender.sent) == 2 * GROUP_ALERTS
    db.expire_all()
    messages = db.exec(select(OutboxMessage)).all()
    assert {m.state for m in messages} == {"sent"}
    claimants = Counter(m.claimed_by for m in messages)
    assert set(claimants) == {"worker-a", "worker-b"}, "both workers should have done part of the work"


def worker_session():
    from service.db import unit_of_work

    return unit_of_work()
