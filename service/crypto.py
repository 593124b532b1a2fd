"""Encryption at rest of credentials the service must read back: webhook signing secrets, TOTP secrets and the one-time
links waiting in the outbox (Fernet, keys by HKDF)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from service.config import get_settings

# A label per kind of secret, so the same configured key yields a different Fernet key for each, and for nothing else
# it is used for (SECRET_KEY also signs CSRF tokens). Changing one makes every secret of that kind unreadable: bump only
# with a migration.
WEBHOOK_SECRETS_LABEL = b"encompass/webhook-signing-secrets/v1"
TOTP_SECRETS_LABEL = b"encompass/totp-secrets/v1"
# Invitation and password-reset links waiting in the outbox: each carries a one-time token that signs someone in.
OUTBOX_LINKS_LABEL = b"encompass/outbox-credential-links/v1"


class SecretUnreadable(ValueError):
    """A stored secret that none of the configured keys decrypts: the wrong ENCRYPTION_KEYS or SECRET_KEY."""

    def __init__(self) -> None:
        # Never the token or the secret: only what an operator can act on.
        super().__init__("a stored secret cannot be decrypted with ENCRYPTION_KEYS (or SECRET_KEY when that is "
                         "unset); put the key it was encrypted with back in ENCRYPTION_KEYS")


def _fernet_key(configured_key: str, label: bytes) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(configured_key.encode())
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=8)
def _keyring(configured_keys: tuple[str, ...], label: bytes) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(key, label)) for key in configured_keys])


def keyring(configured_keys: Sequence[str], label: bytes = WEBHOOK_SECRETS_LABEL) -> MultiFernet:
    """The first key encrypts; every key decrypts, so a key being retired still reads what it wrote."""
    if not configured_keys:
        raise ValueError("at least one encryption key is needed")
    return _keyring(tuple(configured_keys), label)


def at_rest_keyring(label: bytes) -> MultiFernet:
    """The service's keys for one kind of stored secret: ENCRYPTION_KEYS, or SECRET_KEY when that is unset."""
    return keyring(get_settings().at_rest_keys, label)


def encrypt_secret(secret: str, keys: MultiFernet) -> str:
    return keys.encrypt(secret.encode()).decode("ascii")


def decrypt_secret(token: str, keys: MultiFernet) -> str:
    try:
        return keys.decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable() from None


def reencrypt_secret(token: str, keys: MultiFernet) -> str:
    """The same secret under the newest key, so an older key can be taken out of ENCRYPTION_KEYS."""
    try:
        return keys.rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable() from None
