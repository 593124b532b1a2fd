"""GOV.UK Notify email client over its REST API, and the delivery errors all senders share."""

from __future__ import annotations

import re
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import httpx
import jwt

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
_UUID_LENGTH = 36
_EMAIL_PATTERN = re.compile(r"[^\s@]+@[^\s@]+")
_DETAIL_LIMIT = 300


@cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def outbound_http(**options: Any) -> httpx.Client:
    """An HTTP client for the outside world (Notify, webhooks), verifying certificates as httpx does by default, on
    one TLS context per process: building one reads the whole CA bundle (28 ms), and every sender built its own."""
    return httpx.Client(verify=_tls(), **options)


class DeliveryError(Exception):
    """An alert could not be delivered. Messages never carry addresses or personalisation."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class PermanentDeliveryError(DeliveryError):
    """Retrying the same request will not help: dead-letter it for an admin."""


class TemporaryDeliveryError(DeliveryError):
    """Worth retrying later; retry_after is the server's requested wait in seconds, if it gave one."""

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def error_for_status(
    status_code: int, *, what: str, detail: str = "", retry_after: float | None = None
) -> DeliveryError:
    """The delivery error for a non-2xx answer: 408, 429 and 5xx are worth retrying."""
    message = f"{what} answered HTTP {status_code}"
    if detail:
        message = f"{message}: {detail}"
    if status_code in (408, 429) or status_code >= 500:
        return TemporaryDeliveryError(message, status_code=status_code, retry_after=retry_after)
    return PermanentDeliveryError(message, status_code=status_code)


def error_for_transport(exc: httpx.TransportError, *, what: str) -> DeliveryError:
    """Timeouts and network failures are worth retrying; a URL we cannot speak to is not."""
    # The exception's class names the failure well enough; its text can include
    # socket details that help nobody reading an alert log.
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PermanentDeliveryError(f"{what} has a URL that is not http or https")
    if isinstance(exc, httpx.TimeoutException):
        return TemporaryDeliveryError(f"{what} timed out ({type(exc).__name__})")
    return TemporaryDeliveryError(f"{what} could not be reached ({type(exc).__name__})")


def parse_api_key(key: str) -> tuple[str, str]:
    """(service_id, secret) from a Notify key `{key_name}-{service_id}-{secret}`."""
    # Never echo the key in an error: it is a credential.
    if not isinstance(key, str):
        raise ValueError("Notify API key must be a string")
    key = key.strip()
    # name, hyphen, 36-char service id, hyphen, 36-char secret
    if len(key) < 2 * _UUID_LENGTH + 3:
        raise ValueError(
            "Notify API key is too short: expected {key_name}-{service_id}-{secret} "
            "ending in two 36-character UUIDs"
        )
    secret = key[-_UUID_LENGTH:]
    service_id = key[-2 * _UUID_LENGTH - 1 : -_UUID_LENGTH - 1]
    if key[-_UUID_LENGTH - 1] != "-" or key[-2 * _UUID_LENGTH - 2] != "-":
        raise ValueError(
            "Notify API key is malformed: expected {key_name}-{service_id}-{secret} "
            "with hyphens before the service id and the secret"
        )
    for part, name in ((service_id, "service id"), (secret, "secret")):
        try:
            parsed = uuid.UUID(part)
        except ValueError:
            raise ValueError(f"Notify API key is malformed: its {name} is not a UUID") from None
        if str(parsed) != part.lower():
            raise ValueError(f"Notify API key is malformed: its {name} is not a hyphenated UUID")
    return service_id, secret


def make_token(service_id: str, secret: str, now: float) -> str:
    """The HS256 bearer token Notify expects; Notify refuses one whose iat is over 30 s off."""
    return jwt.encode(
        {"iss": service_id, "iat": int(now)},
        secret,
        algorithm="HS256",
        headers={"typ": "JWT", "alg": "HS256"},
    )


def _redacted(text: str, personal_values: Iterable[str]) -> str:
    for value in personal_values:
        if value:
            text = text.replace(value, "[redacted]")
    text = _EMAIL_PATTERN.sub("[redacted]", text)
    return text[:_DETAIL_LIMIT]


def _notify_error_detail(response: httpx.Response, personal_values: Iterable[str]) -> str:
    """Notify's error names and messages, with anything personal taken out."""
    try:
        body = response.json()
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for error in errors:
        if isinstance(error, dict):
            parts.append(f"{error.get('error', 'Error')}: {error.get('message', '')}".strip())
    return _redacted("; ".join(parts), personal_values)


class NotifyClient:
    """Sends emails through GOV.UK Notify. One instance per API key; safe to reuse."""

    def __init__(
        self,
        api_key: str,
        base_url: str = NOTIFY_BASE_URL,
        http: httpx.Client | None = None,
        timeout: float = 10,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._service_id, self._secret = parse_api_key(api_key)
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._owns_http = http is None
        self._http = http if http is not None else outbound_http(timeout=timeout)
        self._clock = clock

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> NotifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send_email(
        self, *, email_address: str, template_id: str, personalisation: dict[str, Any], reference: str
    ) -> str:
        """Ask Notify to send one email; returns Notify's notification id."""
        now = self._clock()
        what = "GOV.UK Notify"
        try:
            response = self._http.post(
                f"{self._base_url}/v2/notifications/email",
                json={
                    "email_address": email_address,
                    "template_id": template_id,
                    "personalisation": personalisation,
                    "reference": reference,
                },
                headers={
                    "Authorization": f"Bearer {make_token(self._service_id, self._secret, now)}",
                    "User-Agent": "encompass-notify",
                },
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise error_for_transport(exc, what=what) from exc

        if not response.is_success:
            personal_values = [email_address, *(str(v) for v in personalisation.values())]
            raise error_for_status(
                response.status_code,
                what=what,
                detail=_notify_error_detail(response, personal_values),
                retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
            )
        try:
            notification_id = response.json()["id"]
        except (ValueError, KeyError, TypeError):
            notification_id = None
        if not isinstance(notification_id, str):
            # Notify has accepted the email; a retry would send it twice.
            raise PermanentDeliveryError(
                f"{what} accepted the email (HTTP {response.status_code}) but its answer had no id",
                status_code=response.status_code,
            )
        return notification_id
