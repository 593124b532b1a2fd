"""Email senders the outbox worker calls: a logging sender for the embedded default, and GOV.UK Notify."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from service.alerts.notify import NotifyClient

logger = logging.getLogger(__name__)

# One plain subject per template. Emails only ever say that something is waiting and
# where; what happened to a child is read inside the service, never in an inbox.
TEMPLATE_SUBJECTS: Mapping[str, str] = {
    "notification_waiting": "An Operation Encompass notification is waiting for you",
    "deadline_missed_deputies": "An Operation Encompass notification has not been acknowledged in time",
    "escalated_to_la": "An Operation Encompass notification has been escalated to your team",
    "rerouted_to_you": "An Operation Encompass notification has been passed to you",
    "invitation": "You have been invited to the Operation Encompass notification service",
    "password_reset": "Reset your password for the Operation Encompass notification service",
    "membership_offer": "You have been offered access to a setting on the Operation Encompass notification service",
    "password_changed": "Your password for the Operation Encompass notification service has been changed",
    "notification_withdrawn": "Police have withdrawn an Operation Encompass notification",
    "key_adult_not_reached": "An Operation Encompass notification could not be delivered to a Key Adult",
}


def _require_known_template(template: str) -> None:
    if template not in TEMPLATE_SUBJECTS:
        raise ValueError(f"unknown email template {template!r}; expected one of {sorted(TEMPLATE_SUBJECTS)}")


class EmailSender(Protocol):
    """Sends one email. A sender may say `delivers = False` (it only pretends): then a notification it "sent" is not
    marked delivered. One that does not say is taken to deliver, as Notify does."""

    def send(self, *, email_address: str, template: str, link: str, reference: str) -> str | None:
        """Returns the provider's id for the email (Notify's, which its delivery receipt names), if it has one."""


def delivers(sender: EmailSender) -> bool:
    """Whether an email this sender accepted reaches someone, so police may be told the notification was delivered."""
    return getattr(sender, "delivers", True)


@dataclass(frozen=True)
class SentEmail:
    """What the logging sender was asked to send, kept in memory only."""

    email_address: str
    template: str
    subject: str
    link: str
    reference: str


class LoggingEmailSender:
    """Sends nothing: logs one line per email so a fresh machine needs no Notify account.

    The address and link are kept in memory (so tests can see who would have been told) but are
    never logged: the address is personal data, and an invitation or reset link is a credential.
    Nobody is told, so nothing it "sends" counts as delivered.
    """

    delivers = False

    def __init__(self, keep_last: int = 100) -> None:
        if keep_last < 1:
            raise ValueError("keep_last must be at least 1")
        self.keep_last = keep_last
        self.sent: list[SentEmail] = []

    def send(self, *, email_address: str, template: str, link: str, reference: str) -> None:
        _require_known_template(template)
        subject = TEMPLATE_SUBJECTS[template]
        self.sent.append(
            SentEmail(email_address=email_address, template=template, subject=subject, link=link, reference=reference)
        )
        del self.sent[: -self.keep_last]
        logger.info("email not sent (logging sender) template=%s reference=%s", template, reference)


class NotifyEmailSender:
    """Sends through GOV.UK Notify; each template's wording lives in Notify under its template id."""

    delivers = True

    def __init__(self, client: NotifyClient, template_ids: Mapping[str, str]) -> None:
        unknown = sorted(set(template_ids) - set(TEMPLATE_SUBJECTS))
        missing = sorted(set(TEMPLATE_SUBJECTS) - set(template_ids))
        # Fail at start-up, not when the first deadline is missed at night.
        if unknown:
            raise ValueError(f"Notify template ids given for unknown templates: {unknown}")
        if missing:
            raise ValueError(f"Notify template ids missing for: {missing}")
        self._client = client
        self._template_ids = dict(template_ids)

    def send(self, *, email_address: str, template: str, link: str, reference: str) -> str:
        _require_known_template(template)
        notify_id = self._client.send_email(
            email_address=email_address,
            template_id=self._template_ids[template],
            personalisation={"link": link},
            reference=reference,
        )
        logger.info("email sent via Notify template=%s reference=%s notify_id=%s", template, reference, notify_id)
        return notify_id
