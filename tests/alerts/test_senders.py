"""Email senders: the logging default keeps addresses out of logs; Notify gets only a link."""

import json
import logging

import httpx
import pytest
import respx

from service.alerts.notify import NotifyClient, TemporaryDeliveryError
from service.alerts.senders import TEMPLATE_SUBJECTS, LoggingEmailSender, NotifyEmailSender

ADDRESS = "deputy.dsl@school.example"
LINK = "https://encompass.example/notifications/42"
API_KEY = "encompass-test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
TEMPLATE_IDS = {name: f"00000000-0000-4000-8000-00000000000{i}" for i, name in enumerate(TEMPLATE_SUBJECTS)}


def test_every_template_the_service_uses_has_a_plain_subject():
    assert set(TEMPLATE_SUBJECTS) == {
        "notification_waiting",
        "deadline_missed_deputies",
        "escalated_to_la",
        "rerouted_to_you",
        "invitation",
        "password_reset",
        "password_changed",
        "membership_offer",
        "notification_withdrawn",
        "key_adult_not_reached",
    }
    assert all(subject.strip() for subject in TEMPLATE_SUBJECTS.values())


def test_logging_sender_logs_template_and_reference_but_never_the_address_or_the_link(caplog):
    sender = LoggingEmailSender()
    with caplog.at_level(logging.INFO, logger="service.alerts.senders"):
        sender.send(email_address=ADDRESS, template="deadline_missed_deputies", link=LINK, reference="outbox-9")

    assert len(caplog.records) == 1
    line = caplog.records[0].getMessage()
    assert "deadline_missed_deputies" in line and "outbox-9" in line
    assert LINK not in caplog.text and "/notifications/" not in caplog.text  # an invitation's link is a credential
    assert ADDRESS not in caplog.text
    assert "deputy.dsl" not in caplog.text


def test_logging_sender_keeps_recent_emails_for_tests_to_read():
    sender = LoggingEmailSender()
    sender.send(email_address=ADDRESS, template="invitation", link=LINK, reference="outbox-1")

    [email] = sender.sent
    assert email.email_address == ADDRESS
    assert email.template == "invitation"
    assert email.subject == TEMPLATE_SUBJECTS["invitation"]
    assert email.link == LINK
    assert email.reference == "outbox-1"


def test_logging_sender_keeps_only_the_last_emails():
    sender = LoggingEmailSender(keep_last=3)
    for n in range(5):
        sender.send(email_address=ADDRESS, template="notification_waiting", link=LINK, reference=f"outbox-{n}")
    assert [email.reference for email in sender.sent] == ["outbox-2", "outbox-3", "outbox-4"]


@pytest.mark.parametrize(
    "make_sender",
    [LoggingEmailSender, lambda: NotifyEmailSender(NotifyClient(API_KEY), TEMPLATE_IDS)],
    ids=["logging", "notify"],
)
def test_unknown_template_is_refused_before_anything_is_sent(make_sender):
    sender = make_sender()
    with pytest.raises(ValueError, match="unknown email template"):
        sender.send(email_address=ADDRESS, template="notification_wating", link=LINK, reference="outbox-1")


@respx.mock
def test_notify_sender_sends_the_mapped_template_with_only_the_link():
    route = respx.post("https://api.notifications.service.gov.uk/v2/notifications/email").mock(
        return_value=httpx.Response(201, json={"id": "740e5834-3a29-46b4-9a6f-16142fde533a"})
    )
    sender = NotifyEmailSender(NotifyClient(API_KEY), TEMPLATE_IDS)

    sender.send(email_address=ADDRESS, template="rerouted_to_you", link=LINK, reference="outbox-5")

    body = json.loads(route.calls.last.request.content)
    assert body["template_id"] == TEMPLATE_IDS["rerouted_to_you"]
    assert body["email_address"] == ADDRESS
    assert body["personalisation"] == {"link": LINK}
    assert body["reference"] == "outbox-5"


@respx.mock
def test_notify_sender_lets_the_worker_see_retryable_failures():
    respx.post("https://api.notifications.service.gov.uk/v2/notifications/email").mock(
        return_value=httpx.Response(503)
    )
    sender = NotifyEmailSender(NotifyClient(API_KEY), TEMPLATE_IDS)
    with pytest.raises(TemporaryDeliveryError):
        sender.send(email_address=ADDRESS, template="notification_waiting", link=LINK, reference="outbox-5")


def test_notify_sender_refuses_incomplete_template_configuration_at_start_up():
    partial = {k: v for k, v in TEMPLATE_IDS.items() if k != "password_reset"}
    with pytest.raises(ValueError, match="password_reset"):
        NotifyEmailSender(NotifyClient(API_KEY), partial)


def test_notify_sender_refuses_misspelt_template_names_at_start_up():
    with pytest.raises(ValueError, match="invitaton"):
        NotifyEmailSender(NotifyClient(API_KEY), {**TEMPLATE_IDS, "invitaton": "x"})
