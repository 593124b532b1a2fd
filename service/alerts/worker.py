"""The worker loop: each pass climbs the escalation ladder, sends what the outbox holds, then carries on police
uploads that stopped part-way."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from service.alerts import service as alerts_service
from service.alerts.notify import NotifyClient, TemporaryDeliveryError
from service.alerts.senders import EmailSender, LoggingEmailSender, NotifyEmailSender, delivers
from service.alerts.service import ClaimedAlert, EmailDelivery, WebhookDelivery
from service.alerts.webhooks import WebhookSender
from service.audit.service import WORKER
from service.config import Settings, get_settings
from service.db import unit_of_work, utcnow
from service.escalation import service as escalation_service
from service.policeportal import uploads

logger = logging.getLogger(__name__)

# GOV.UK Notify allows 3,000 messages a minute per API key. Every worker shares the key, so each counts the emails
# all of them sent in the last minute (outbox_message.sent_at) and stops short of this, leaving a margin.
NOTIFY_EMAILS_PER_MINUTE = 2_700
RATE_WINDOW = timedelta(minutes=1)
# Over the limit, or told 429 without a Retry-After: wait this long before sending email again.
RATE_PAUSE = timedelta(seconds=5)


def default_worker_id() -> str:
    """Host, process and a random tail: unique even when two workers share a container's hostname and pid."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def build_email_sender(settings: Settings) -> EmailSender:
    """Notify when NOTIFY_API_KEY is set, else the logging sender of the embedded default (never in production:
    the settings refuse to start there without Notify)."""
    if settings.notify_api_key:
        return NotifyEmailSender(NotifyClient(settings.notify_api_key, base_url=settings.notify_base_url),
                                 settings.notify_templates)
    return LoggingEmailSender()


@dataclass
class PassReport:
    """What one pass did, in counts only."""

    deputies_alerted: int = 0
    escalated: int = 0
    sent: int = 0
    fanned_out: int = 0
    retrying: int = 0
    dead: int = 0
    deferred: int = 0  # held back, unsent and no attempt spent, to keep within Notify's rate limit
    uploads_carried_on: int = 0  # police uploads that had stopped part-way

    def add(self, other: PassReport) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in vars(self).items())


@dataclass
class OutboxWorker:
    """Runs passes; every transaction it opens is short, and no transaction is open while it sends."""

    worker_id: str
    email_sender: EmailSender
    webhook_sender: WebhookSender
    max_attempts: int = 8
    escalate_after: timedelta = timedelta(hours=2)
    batch_size: int = 10
    lease: timedelta = alerts_service.LEASE
    clock: Callable[[], datetime] = utcnow
    rng: Callable[[], float] = field(default=random.random)
    email_rate_per_minute: int = NOTIFY_EMAILS_PER_MINUTE
    _email_budget: int = field(default=0, init=False, repr=False)
    _emails_held_until: datetime | None = field(default=None, init=False, repr=False)

    def run_once(self, *, max_batches: int = 100) -> PassReport:
        report = self.climb_ladder()
        report.add(self.send_due(max_batches=max_batches))
        # Last, so escalations and alerts never wait behind a long upload; its alerts go out on the next pass.
        report.add(self.carry_on_stalled_uploads())
        return report

    def carry_on_stalled_uploads(self) -> PassReport:
        return PassReport(uploads_carried_on=uploads.carry_on_stalled(now=self.clock(), actor=WORKER))

    def climb_ladder(self) -> PassReport:
        """Each step in its own transaction with its outbox rows, so a failure loses nothing already done."""
        report = PassReport()
        now = self.clock()
        with unit_of_work() as session:
            overdue = escalation_service.overdue_notification_ids(session, now=now, escalate_after=self.escalate_after)
        for notification_id in overdue:
            with unit_of_work() as session:
                step = escalation_service.apply_ladder_step(session, notification_id, now=now,
                                                            escalate_after=self.escalate_after)
            if step is not None and step.kind == "alert_deputies":
                report.deputies_alerted += 1
            elif step is not None:
                report.escalated += 1
        return report

    def send_due(self, *, max_batches: int = 100) -> PassReport:
        report = PassReport()
        for _ in range(max_batches):
            now = self.clock()
            with unit_of_work() as session:
                claimed = alerts_service.claim_due(session, worker_id=self.worker_id, now=now,
                                                   limit=self.batch_size, lease=self.lease)
                if claimed:
                    self._email_budget = self.email_rate_per_minute - alerts_service.emails_sent_since(
                        session, now - RATE_WINDOW)
            if not claimed:
                break
            for alert in claimed:
                self._send_one(alert, report)
            if self._emails_held(self.clock()):
                break  # the rest waits for the next pass, when the minute has moved on
        return report

    def _emails_held(self, now: datetime) -> datetime | None:
        """Until when email must wait: Notify said 429, or this minute's share is spent. None to send now."""
        if self._emails_held_until is not None and now < self._emails_held_until:
            return self._emails_held_until
        self._emails_held_until = None
        if self._email_budget <= 0:
            self._emails_held_until = now + RATE_PAUSE
        return self._emails_held_until

    def _send_one(self, alert: ClaimedAlert, report: PassReport) -> None:
        with unit_of_work() as session:
            delivery = alerts_service.plan_delivery(session, alert, worker_id=self.worker_id, now=self.clock())
        if delivery is None:
            if alert.audience in alerts_service.RESOLVED_AUDIENCES:
                report.fanned_out += 1
            return
        if isinstance(delivery, EmailDelivery):
            held_until = self._emails_held(self.clock())
            if held_until is not None:
                with unit_of_work() as session:
                    alerts_service.defer(session, alert, worker_id=self.worker_id, until=held_until,
                                         because="held back to keep within GOV.UK Notify's rate limit")
                report.deferred += 1
                return
            self._email_budget -= 1
        try:
            provider_id = self._deliver(alert, delivery)
        except Exception as error:  # noqa: BLE001 - any failure must end in a retry or a dead letter, never a stuck claim
            if isinstance(error, TemporaryDeliveryError) and error.status_code == 429:
                # Notify is limiting this key: no email goes until it says, whichever message it was.
                wait = timedelta(seconds=error.retry_after) if error.retry_after else RATE_PAUSE
                self._emails_held_until = self.clock() + min(wait, alerts_service.RETRY_AFTER_LONGEST)
            with unit_of_work() as session:
                state = alerts_service.mark_failed(session, alert, error, worker_id=self.worker_id, now=self.clock(),
                                                   max_attempts=self.max_attempts, rng=self.rng)
            logger.warning("alert %s %s attempt %s failed (%s): %s", alert.id, alert.template, alert.attempts,
                           type(error).__name__, state)
            if state == "dead":
                report.dead += 1
            elif state == "pending":
                report.retrying += 1
            return
        # A webhook reached the setting's system; an email reached someone only if the sender really sends.
        delivered = isinstance(delivery, WebhookDelivery) or delivers(self.email_sender)
        with unit_of_work() as session:
            if alerts_service.mark_sent(session, alert, worker_id=self.worker_id, now=self.clock(), delivered=delivered,
                                        provider_id=provider_id):
                report.sent += 1
            else:
                logger.warning("alert %s was sent after its lease ran out; another worker may send it again", alert.id)

    def _deliver(self, alert: ClaimedAlert, delivery: EmailDelivery | WebhookDelivery) -> str | None:
        """Sends it; returns Notify's id for an email, which its delivery receipt will name."""
        if isinstance(delivery, EmailDelivery):
            # The outbox id is the reference: it names the alert, never the child. Receipts find the message by it.
            return self.email_sender.send(email_address=delivery.email_address, template=alert.template,
                                          link=delivery.link, reference=f"outbox-{alert.id}")
        self.webhook_sender.deliver(url=delivery.url, secrets=delivery.secrets, msg_id=delivery.msg_id,
                                    payload=delivery.payload, now=int(self.clock().timestamp()))
        return None


def build_worker(*, worker_id: str | None = None, email_sender: EmailSender | None = None,
                 webhook_sender: WebhookSender | None = None, settings: Settings | None = None) -> OutboxWorker:
    settings = settings or get_settings()
    return OutboxWorker(
        # A random tail even on a given name: two processes started with the same --id must not share claims.
        worker_id=f"{worker_id[:50]}-{uuid.uuid4().hex[:6]}" if worker_id else default_worker_id(),
        email_sender=email_sender or build_email_sender(settings),
        webhook_sender=webhook_sender or WebhookSender(),
        max_attempts=settings.outbox_max_attempts,
        escalate_after=timedelta(minutes=settings.escalate_after_minutes),
    )


def run_worker(stop: threading.Event, *, poll_seconds: float = 2, worker_id: str | None = None,
               worker: OutboxWorker | None = None) -> None:
    """Runs passes until `stop` is set. A failed pass (database restarting, say) is logged and tried again."""
    worker = worker or build_worker(worker_id=worker_id)
    logger.info("worker %s started", worker.worker_id)
    while not stop.is_set():
        try:
            report = worker.run_once()
            if any(vars(report).values()):
                logger.info("worker pass: %s", report)
        except Exception:
            logger.exception("worker pass failed; trying again in %s s", poll_seconds)
        stop.wait(poll_seconds)
    logger.info("worker %s stopped", worker.worker_id)
