"""Standard Webhooks signing: interoperable signatures, rotation, replay and tamper refusal, delivery errors."""

import base64
import hashlib
import hmac
import json

import httpx
import pytest
import respx

from service.alerts.notify import PermanentDeliveryError, TemporaryDeliveryError
from service.alerts.webhooks import WebhookSender, generate_secret, sign, verify

NOW = 1_768_900_000
URL = "https://hooks.school.example/encompass?token=s3cr3t-path-token"
PAYLOAD = {"id": "0b7c6f1e-3f0e-4a43-9d59-5f1d6c1d2a10", "link": "https://encompass.example/notifications/42"}


def headers_for(msg_id, timestamp, signature):
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_published_standard_webhooks_test_vector():
    # From standard-webhooks/standard-webhooks libraries/python/tests/test_webhooks.py
    # (test_sign_function): a receiver's stock library must accept what we send.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    payload = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    assert sign(msg_id=msg_id, timestamp=1614265330, payload=payload, secrets=[secret]) == expected
    assert verify(
        payload=payload, headers=headers_for(msg_id, 1614265330, expected), secret=secret, now=1614265330
    )


def test_signature_matches_an_hmac_computed_by_hand():
    secret = generate_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    payload = b'{"id":"n1"}'
    by_hand = base64.b64encode(hmac.new(key, b"msg_1.1700000000." + payload, hashlib.sha256).digest()).decode()
    assert sign(msg_id="msg_1", timestamp=1700000000, payload=payload, secrets=[secret]) == f"v1,{by_hand}"


def test_generated_secrets_are_distinct_and_in_whsec_form():
    first, second = generate_secret(), generate_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_our_own_signature_verifies():
    secret = generate_secret()
    payload = b'{"id":"n1"}'
    signature = sign(msg_id="msg_1", timestamp=NOW, payload=payload, secrets=[secret])
    assert verify(payload=payload, headers=headers_for("msg_1", NOW, signature), secret=secret, now=NOW + 10)


def test_rotation_overlap_sends_two_signatures_each_verifying_with_its_own_secret():
    old_secret, new_secret = generate_secret(), generate_secret()
    payload = b'{"id":"n1"}'
    signature = sign(msg_id="msg_1", timestamp=NOW, payload=payload, secrets=[old_secret, new_secret])
    assert len(signature.split(" ")) == 2
    headers = headers_for("msg_1", NOW, signature)
    assert verify(payload=payload, headers=headers, secret=old_secret, now=NOW)
    assert verify(payload=payload, headers=headers, secret=new_secret, now=NOW)
    assert not verify(payload=payload, headers=headers, secret=generate_secret(), now=NOW)


@pytest.mark.parametrize(
    ("case", "tamper"),
    [
        ("payload changed", lambda p, h: (p.replace(b"n1", b"n2"), h)),
        ("message id changed", lambda p, h: (p, {**h, "webhook-id": "msg_2"})),
        ("timestamp changed within tolerance", lambda p, h: (p, {**h, "webhook-timestamp": str(NOW + 1)})),
        ("signature missing", lambda p, h: (p, {k: v for k, v in h.items() if k != "webhook-signature"})),
        ("timestamp not a number", lambda p, h: (p, {**h, "webhook-timestamp": "soon"})),
        ("only an unknown version", lambda p, h: (p, {**h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,")})),
    ],
)
def test_tampered_or_incomplete_message_is_rejected(case, tamper):
    secret = generate_secret()
    payload = b'{"id":"n1"}'
    headers = headers_for("msg_1", NOW, sign(msg_id="msg_1", timestamp=NOW, payload=payload, secrets=[secret]))
    tampered_payload, tampered_headers = tamper(payload, headers)
    assert not verify(payload=tampered_payload, headers=tampered_headers, secret=secret, now=NOW)


@pytest.mark.parametrize(("age", "accepted"), [(300, True), (301, False), (-300, True), (-301, False)])
def test_timestamp_tolerance_refuses_replays_and_future_messages(age, accepted):
    secret = generate_secret()
    payload = b'{"id":"n1"}'
    signed_at = NOW - age
    headers = headers_for("msg_1", signed_at, sign(msg_id="msg_1", timestamp=signed_at, payload=payload, secrets=[secret]))
    assert verify(payload=payload, headers=headers, secret=secret, now=NOW) is accepted


def test_header_names_are_case_insensitive():
    secret = generate_secret()
    payload = b"{}"
    signature = sign(msg_id="msg_1", timestamp=NOW, payload=payload, secrets=[secret])
    headers = {"Webhook-Id": "msg_1", "Webhook-Timestamp": str(NOW), "Webhook-Signature": signature}
    assert verify(payload=payload, headers=headers, secret=secret, now=NOW)


@pytest.mark.parametrize(
    ("secret", "complaint"),
    [("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "start with"), ("whsec_!!notbase64!!", "base64"), ("whsec_c2hvcnQ=", "bytes")],
)
def test_malformed_secret_is_refused_without_echoing_it(secret, complaint):
    with pytest.raises(ValueError, match=complaint) as caught:
        sign(msg_id="msg_1", timestamp=NOW, payload=b"{}", secrets=[secret])
    assert secret not in str(caught.value)


@respx.mock
def test_deliver_posts_signed_json_the_receiver_can_verify():
    secret = generate_secret()
    route = respx.post(URL).mock(return_value=httpx.Response(204))

    with WebhookSender() as sender:
        sender.deliver(url=URL, secrets=[secret], msg_id="msg_7", payload=PAYLOAD, now=NOW)

    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "msg_7"
    assert request.headers["webhook-timestamp"] == str(NOW)
    assert json.loads(request.content) == PAYLOAD
    assert verify(payload=request.content, headers=request.headers, secret=secret, now=NOW + 30)


@respx.mock
def test_deliver_during_rotation_carries_both_signatures():
    old_secret, new_secret = generate_secret(), generate_secret()
    route = respx.post(URL).mock(return_value=httpx.Response(200))

    WebhookSender().deliver(url=URL, secrets=[old_secret, new_secret], msg_id="msg_7", payload=PAYLOAD, now=NOW)

    request = route.calls.last.request
    assert verify(payload=request.content, headers=request.headers, secret=old_secret, now=NOW)
    assert verify(payload=request.content, headers=request.headers, secret=new_secret, now=NOW)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, PermanentDeliveryError),
        (401, PermanentDeliveryError),
        (404, PermanentDeliveryError),
        (410, PermanentDeliveryError),
        (301, PermanentDeliveryError),  # redirects are not followed
        (408, TemporaryDeliveryError),
        (429, TemporaryDeliveryError),
        (500, TemporaryDeliveryError),
        (503, TemporaryDeliveryError),
    ],
)
@respx.mock
def test_receiver_status_decides_whether_to_retry(status, error_class):
    respx.post(URL).mock(return_value=httpx.Response(status, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(error_class) as caught:
        WebhookSender().deliver(url=URL, secrets=[generate_secret()], msg_id="msg_7", payload=PAYLOAD, now=NOW)
    assert caught.value.status_code == status
    # The URL's token must not reach the logs; the host is enough to find the setting.
    assert "s3cr3t-path-token" not in str(caught.value)
    assert "hooks.school.example" in str(caught.value)


@respx.mock
def test_receiver_asking_to_slow_down_carries_retry_after():
    respx.post(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(TemporaryDeliveryError) as caught:
        WebhookSender().deliver(url=URL, secrets=[generate_secret()], msg_id="msg_7", payload=PAYLOAD, now=NOW)
    assert caught.value.retry_after == 120


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
@respx.mock
def test_timeouts_and_unreachable_receivers_are_temporary(failure):
    respx.post(URL).mock(side_effect=failure)
    with pytest.raises(TemporaryDeliveryError):
        WebhookSender().deliver(url=URL, secrets=[generate_secret()], msg_id="msg_7", payload=PAYLOAD, now=NOW)


def test_url_that_is_not_http_is_permanent():
    with pytest.raises(PermanentDeliveryError):
        WebhookSender().deliver(url="ftp://hooks.example/x", secrets=[generate_secret()], msg_id="m", payload={}, now=NOW)
