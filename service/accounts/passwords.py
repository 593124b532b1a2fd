"""Password hashing with argon2id, including a dummy check so unknown emails take as long as known ones."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.config import get_settings

MIN_LENGTH = 12


@lru_cache
def _hasher(environment: str) -> PasswordHasher:
    if environment == "test":
        # Hundreds of test sign-ins at full cost would take minutes; a hash records its own cost, so this changes only new test hashes.
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@lru_cache
def _dummy_hash(environment: str) -> str:
    return _hasher(environment).hash("not-a-real-password-used-only-for-timing")


def hash_password(password: str) -> str:
    return _hasher(get_settings().environment).hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True if the password matches. With no hash, still spends the time of a real check."""
    environment = get_settings().environment
    try:
        return _hasher(environment).verify(password_hash or _dummy_hash(environment), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, in words for the form; None if it is."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > 256:
        return "Password must be 256 characters or fewer"
    if len(set(password)) < 4:
        return "Password must not repeat the same few characters"
    return None
