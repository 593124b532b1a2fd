"""GOV.UK Notify client: key parsing, the JWT Notify checks, and how failures are classed."""

import json

import httpx
import jwt
import pytest
import respx

from service.alerts.notify import (
    NotifyClient,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    make_token,
    parse_api_key,
)

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"encompass-derbyshire-live-{SERVICE_ID}-{SECRET}"
BASE_URL = "https://notify.test"
EMAIL_URL = f"{BASE_URL}/v2/notifications/email"
FROZEN_NOW = 1_768_900_000.7
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
ADDRESS = "dsl@school.example"
LINK = "https://encompass.example/notifications/42"


@pytest.fixture
def client():
    with httpx.Client() as http:
        yield NotifyClient(API_KEY, base_url=BASE_URL, http=http, clock=lambda: FROZEN_NOW)


def send(client):
    return client.send_email(
        email_address=ADDRESS,
        template_id=TEMPLATE_ID,
        personalisation={"link": LINK},
        reference="outbox-17",
    )


def test_key_name_with_hyphens_is_split_from_the_two_uuids():
    assert parse_api_key(API_KEY) == (SERVICE_ID, SECRET)


@pytest.mark.parametrize(
    ("key", "complaint"),
    [
        ("", "too short"),
        (f"{SERVICE_ID}-{SECRET}", "too short"),  # no key name
        (f"name-{SERVICE_ID}{SECRET}x", "malformed"),  # missing hyphen separator
        (f"name-{SERVICE_ID}-{'z' * 36}", "secret is not a UUID"),
        (f"name-{'q' * 36}-{SECRET}", "service id is not a UUID"),
    ],
)
def test_invalid_key_is_refused_without_echoing_it(key, complaint):
    with pytest.raises(ValueError, match=complaint) as caught:
        parse_api_key(key)
    assert SECRET not in str(caught.value)


def test_a_bad_key_fails_when_the_client_is_built_not_at_3am():
    with pytest.raises(ValueError):
        NotifyClient("not-a-key")


def test_token_is_hs256_jwt_with_service_id_and_whole_second_iat():
    token = make_token(SERVICE_ID, SECRET, FROZEN_NOW)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    assert header["typ"] == "JWT"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
    assert claims == {"iss": SERVICE_ID, "iat": 1_768_900_000}


@respx.mock
def test_send_email_posts_a_signed_request_and_returns_notify_id(client):
    route = respx.post(EMAIL_URL).mock(
        return_value=httpx.Response(201, json={"id": "740e5834-3a29-46b4-9a6f-16142fde533a"})
    )

    assert send(client) == "740e5834-3a29-46b4-9a6f-16142fde533a"

    request = route.calls.last.request
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    # Signed with the secret half of the key: Notify would refuse anything else.
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
    assert claims == {"iss": SERVICE_ID, "iat": int(FROZEN_NOW)}
    assert json.loads(request.content) == {
        "email_address": ADDRESS,
        "template_id": TEMPLATE_ID,
        "personalisation": {"link": LINK},
        "reference": "outbox-17",
    }


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, PermanentDeliveryError),
        (403, PermanentDeliveryError),
        (404, PermanentDeliveryError),
        (429, TemporaryDeliveryError),
        (500, TemporaryDeliveryError),
        (502, TemporaryDeliveryError),
        (503, TemporaryDeliveryError),
    ],
)
@respx.mock
def test_each_status_class_maps_to_retry_or_not(client, status, error_class):
    respx.post(EMAIL_URL).mock(
        return_value=httpx.Response(
            status, json={"errors": [{"error": "SomeError", "message": "went wrong"}], "status_code": status}
        )
    )
    with pytest.raises(error_class) as caught:
        send(client)
    assert caught.value.status_code == status
    assert "SomeError: went wrong" in str(caught.value)


@respx.mock
def test_rate_limit_carries_retry_after(client):
    respx.post(EMAIL_URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "37"}))
    with pytest.raises(TemporaryDeliveryError) as caught:
        send(client)
    assert caught.value.retry_after == 37


@respx.mock
def test_retry_after_as_http_date_is_turned_into_seconds(client):
    # FROZEN_NOW is 2026-01-20 09:06:40.7 UTC; the server asks for 09:08:00.
    respx.post(EMAIL_URL).mock(
        return_value=httpx.Response(503, headers={"Retry-After": "Tue, 20 Jan 2026 09:08:00 GMT"})
    )
    with pytest.raises(TemporaryDeliveryError) as caught:
        send(client)
    assert caught.value.retry_after == pytest.approx(79.3)


@respx.mock
def test_server_error_without_retry_after_leaves_it_to_our_backoff(client):
    respx.post(EMAIL_URL).mock(return_value=httpx.Response(500, text="<html>oops</html>"))
    with pytest.raises(TemporaryDeliveryError) as caught:
        send(client)
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectTimeout("slow"), httpx.ReadTimeout("slow"), httpx.ConnectError("refused")],
)
@respx.mock
def test_timeouts_and_connection_failures_are_temporary(client, failure):
    respx.post(EMAIL_URL).mock(side_effect=failure)
    with pytest.raises(TemporaryDeliveryError) as caught:
        send(client)
    assert caught.value.status_code is None


@respx.mock
def test_error_message_never_contains_the_address_or_personalisation(client):
    # Notify validation messages can quote what was sent; none of it may reach our logs.
    respx.post(EMAIL_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "errors": [
                    {"error": "ValidationError", "message": f"email_address {ADDRESS} Not a valid email address"},
                    {"error": "BadRequestError", "message": f"link {LINK} too long, other@person.example cc"},
                ],
                "status_code": 400,
            },
        )
    )
    with pytest.raises(PermanentDeliveryError) as caught:
        send(client)
    message = str(caught.value)
    assert ADDRESS not in message
    assert LINK not in message
    assert "other@person.example" not in message
    assert "ValidationError" in message and "Not a valid email address" in message


@respx.mock
def test_accepted_but_unreadable_answer_is_not_retried(client):
    # Notify has taken the email; retrying would send a second copy.
    respx.post(EMAIL_URL).mock(return_value=httpx.Response(201, text="not json"))
    with pytest.raises(PermanentDeliveryError):
        send(client)

