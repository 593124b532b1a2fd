"""Pure parts of the worker: when a failed alert is tried again, and which webhook secrets sign."""

from datetime import UTC, datetime, timedelta

import pytest

from service.alerts.service import retry_delay, signing_secrets
from service.crypto import encrypt_secret, keyring

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("attempts", "shortest", "longest"), [
    (1, 15, 30), (2, 30, 60), (3, 60, 120), (5, 240, 480), (8, 1800, 3600), (30, 1800, 3600),
])
def test_waits_double_with_each_attempt_up_to_an_hour(attempts, shortest, longest):
    assert retry_delay(attempts, rng=lambda: 0.0) == timedelta(seconds=shortest)
    assert retry_delay(attempts, rng=lambda: 1.0) == timedelta(seconds=longest)


def test_jitter_spreads_alerts_that_failed_together():
    delays = {retry_delay(3, rng=lambda value=value: value) for value in (0.1, 0.4, 0.7, 0.9)}
    assert len(delays) == 4


def test_retry_after_is_never_shortened_but_an_absurd_one_is_capped():
    assert retry_delay(1, retry_after=900, rng=lambda: 0.5) == timedelta(seconds=900)
    assert retry_delay(8, retry_after=5, rng=lambda: 0.5) == timedelta(seconds=2700)
    assert retry_delay(1, retry_after=30 * 24 * 3600, rng=lambda: 0.5) == timedelta(hours=6)


def test_previous_secret_signs_until_its_overlap_ends():
    keys = keyring(["a-test-encryption-key-of-at-least-32-characters"])
    secrets = [{"secret_encrypted": encrypt_secret("whsec_new", keys), "expires_at": None},
               {"secret_encrypted": encrypt_secret("whsec_old", keys), "expires_at": (NOW + timedelta(hours=24)).isoformat()}]
    assert signing_secrets(secrets, NOW + timedelta(hours=23), keys=keys) == ["whsec_new", "whsec_old"]
    assert signing_secrets(secrets, NOW + timedelta(hours=24, seconds=1), keys=keys) == ["whsec_new"]
