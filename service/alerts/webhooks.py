"""Per-setting webhooks signed with the Standard Webhooks scheme: secrets, signing, verifying, sending."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets as token_source
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from service.alerts.notify import (
    PermanentDeliveryError,
    error_for_status,
    error_for_transport,
    outbound_http,
    parse_retry_after,
)

SECRET_PREFIX = "whsec_"
# The Standard Webhooks specification asks for keys between 24 and 64 bytes.
_MIN_KEY_BYTES = 24
_MAX_KEY_BYTES = 64
_GENERATED_KEY_BYTES = 32


def generate_secret() -> str:
    """A new signing secret in the `whsec_<base64>` form, shown to the setting once."""
    return SECRET_PREFIX + base64.b64encode(token_source.token_bytes(_GENERATED_KEY_BYTES)).decode("ascii")


def _signing_key(secret: str) -> bytes:
    # Never echo the secret in an error: it is a credential.
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"webhook secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not valid base64 after its prefix") from None
    if not _MIN_KEY_BYTES <= len(key) <= _MAX_KEY_BYTES:
        raise ValueError(f"webhook secret must decode to {_MIN_KEY_BYTES}-{_MAX_KEY_BYTES} bytes")
    return key


def _signature(key: bytes, msg_id: str, timestamp: int, payload: bytes) -> str:
    signed_content = f"{msg_id}.{timestamp}.".encode() + payload
    return base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode("ascii")


def sign(*, msg_id: str, timestamp: int, payload: bytes, secrets: Sequence[str]) -> str:
    """The `webhook-signature` header: one `v1,<sig>` per secret, space separated.

    Two secrets during a rotation overlap let the receiver switch over whenever it is ready.
    """
    if isinstance(secrets, str):
        raise TypeError("secrets must be a sequence of secrets, not one string")
    if not secrets:
        raise ValueError("at least one webhook secret is needed to sign")
    return " ".join(
        f"v1,{_signature(_signing_key(secret), msg_id, int(timestamp), payload)}" for secret in secrets
    )


def verify(
    *, payload: bytes, headers: Mapping[str, str], secret: str, now: int, tolerance: int = 300
) -> bool:
    """True when any v1 signature matches this secret and the timestamp is within tolerance."""
    key = _signing_key(secret)
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    timestamp_text = lowered.get("webhook-timestamp")
    signature_header = lowered.get("webhook-signature")
    if not msg_id or not timestamp_text or not signature_header:
        return False
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        return False
    # Both directions: an old message may be a replay, a future one a forged clock.
    if abs(now - timestamp) > tolerance:
        return False
    expected = _signature(key, msg_id, timestamp, payload).encode("ascii")
    matched = False
    for versioned in signature_header.split(" "):
        version, _, candidate = versioned.partition(",")
        if version != "v1":
            continue
        # Check every signature so the time taken says nothing about which one matched.
        matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    return matched


def webhook_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes signed and sent: compact JSON, so receivers can verify what they read."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class WebhookSender:
    """Posts signed webhooks. Redirects are not followed: a setting must give its real URL."""

    def __init__(self, http: httpx.Client | None = None, timeout: float = 10) -> None:
        self._timeout = timeout
        self._owns_http = http is None
        self._http = http if http is not None else outbound_http(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def deliver(
        self, *, url: str, secrets: Sequence[str], msg_id: str, payload: Mapping[str, Any], now: int
    ) -> None:
        """Send one webhook. Keep msg_id the same across retries so receivers can de-duplicate."""
        body = webhook_body(payload)
        timestamp = int(now)
        try:
            # Name the host only: webhook URLs often carry a token in their path or query.
            what = f"webhook to {httpx.URL(url).host or 'an unnamed host'}"
        except httpx.InvalidURL:
            raise PermanentDeliveryError("webhook URL is not a valid URL") from None
        try:
            response = self._http.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "encompass-notify",
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": sign(msg_id=msg_id, timestamp=timestamp, payload=body, secrets=secrets),
                },
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.TransportError as exc:
            raise error_for_transport(exc, what=what) from exc
        if not response.is_success:
            raise error_for_status(
                response.status_code,
                what=what,
                retry_after=parse_retry_after(response.headers.get("Retry-After"), float(timestamp)),
            )
