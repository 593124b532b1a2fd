"""Password hashing with argon2id (with a dummy check so unknown emails take as long as known ones) and which new
passwords are too easy to guess."""

import re
from collections.abc import Iterable
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from service.config import get_settings

MIN_LENGTH = 12
# zxcvbn's scores run 0 to 4; below 3 it estimates fewer than 10^8 guesses, too few against an offline attack on a stolen hash.
LEAST_STRENGTH = 3
# zxcvbn refuses longer input; the first 72 characters of an acceptable-length password are plenty to judge it by.
STRENGTH_CHECKED_LENGTH = 72
# Words anyone attacking this service would try first (ASVS 6.2.11: context-specific words).
SERVICE_WORDS = ("operation", "encompass", "police", "school", "notification", "derbyshire", "derby")


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


def password_problem(password: str, *, personal_words: Iterable[str] = ()) -> str | None:
    """Why a new password is not acceptable, in words for the form; None if it is.

    `personal_words` are the person's own (email, name): a password built from them is easy for anyone who knows them.
    """
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > 256:
        return "Password must be 256 characters or fewer"
    if len(set(password)) < 4:
        return "Password must not repeat the same few characters"
    words = [*SERVICE_WORDS, *(part for word in personal_words for part in _parts(word))]
    strength = zxcvbn(password[:STRENGTH_CHECKED_LENGTH], user_inputs=words)
    if strength["score"] < LEAST_STRENGTH:
        why = strength["feedback"]["warning"].rstrip(".").lower() or "it is too close to common passwords, or to words linked to you or this service"
        return f"Choose a password that is harder to guess: {why}. A few unrelated words together work well"
    return None


def _parts(word: str) -> list[str]:
    """'sam.jones@st-marys.sch.uk' -> the whole, 'sam.jones', 'st-marys', 'sam', 'jones', …, each also without its
    dots and dashes ('samjones', 'stmarys'), so a password built from any of them counts as guessable."""
    lowered = word.strip().lower()
    parts = [lowered, lowered.split("@")[0], *re.split(r"[\s@.]+", lowered), *re.split(r"[\s@._+-]+", lowered)]
    joined = [re.sub(r"[\s._+-]+", "", part) for part in parts]
    return list(dict.fromkeys(part for part in parts + joined if len(part) > 2))
