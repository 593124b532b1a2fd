"""Slowing down password and code guessing without locking anyone out: growing, capped waits per (email, address),
per address, and per account."""

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from service.accounts.models import SignInThrottle
from service.config import get_settings


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int  # failures allowed before any wait
    longest_wait: timedelta
    forget_after: timedelta  # a quiet spell this long wipes the count


# Keyed by email AND address: an attacker elsewhere slows only themselves, never the real user at their school.
PAIR_RULE = ThrottleRule(free_failures=5, longest_wait=timedelta(minutes=5), forget_after=timedelta(minutes=30))
# Per address, to slow one machine trying many emails; generous because a school or council shares one address.
ADDRESS_RULE = ThrottleRule(free_failures=50, longest_wait=timedelta(minutes=5), forget_after=timedelta(minutes=30))
# Per account, from anywhere, so spreading guesses over many addresses gains little. Soft: anyone can push an
# account's email over it, so the real user is never kept waiting more than half a minute.
ACCOUNT_PASSWORD_RULE = ThrottleRule(free_failures=20, longest_wait=timedelta(seconds=30), forget_after=timedelta(minutes=30))
# Wrong codes per account. Only someone who knows the password reaches the code step, and a correct password does not
# reset this count (only a correct code does), so guessing codes from many addresses meets waits that grow to 15 minutes.
ACCOUNT_CODE_RULE = ThrottleRule(free_failures=10, longest_wait=timedelta(minutes=15), forget_after=timedelta(hours=24))
RULES = (PAIR_RULE, ADDRESS_RULE, ACCOUNT_PASSWORD_RULE, ACCOUNT_CODE_RULE)


@dataclass(frozen=True)
class ThrottleKey:
    key_hash: str
    rule: ThrottleRule


def wait_after(failures: int, rule: ThrottleRule) -> timedelta:
    """No wait for the first few failures, then 1, 2, 4, 8 … seconds, never more than the rule's longest wait."""
    if failures <= rule.free_failures:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - rule.free_failures - 1, 20)), rule.longest_wait)


def _keyed_hash(text: str) -> str:
    # Keyed, so the table cannot be reversed by hashing a list of known staff emails.
    return hmac.new(get_settings().secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()


def _pair_and_address(email: str, address: str) -> tuple[ThrottleKey, ThrottleKey]:
    return (ThrottleKey(_keyed_hash(f"pair:{email}|{address}"), PAIR_RULE), ThrottleKey(_keyed_hash(f"address:{address}"), ADDRESS_RULE))


def password_keys(email: str, address: str) -> tuple[ThrottleKey, ...]:
    """Keys for a password check: (email, address), address, and the account by email, known or not, so the answers
    for an unknown email look the same."""
    email = email.strip().lower()
    return (*_pair_and_address(email, address), ThrottleKey(_keyed_hash(f"account-password:{email}"), ACCOUNT_PASSWORD_RULE))


def code_keys(user_id: int, email: str, address: str) -> tuple[ThrottleKey, ...]:
    """Keys for a second-factor code: (email, address), address, and the account's own count of wrong codes."""
    return (*_pair_and_address(email.strip().lower(), address), ThrottleKey(_keyed_hash(f"account-code:{user_id}"), ACCOUNT_CODE_RULE))


def seconds_to_wait(session: Session, keys: tuple[ThrottleKey, ...], now: datetime) -> int:
    rows = session.exec(select(SignInThrottle).where(SignInThrottle.key_hash.in_([k.key_hash for k in keys]))).all()
    waits = [(row.blocked_until - now).total_seconds() for row in rows if row.blocked_until and row.blocked_until > now]
    return math.ceil(max(waits)) if waits else 0


def note_failure(session: Session, keys: tuple[ThrottleKey, ...], now: datetime) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for key in keys:
        # Two web processes may count the same key at once: create the row if missing, then update it under a row lock.
        session.exec(insert(SignInThrottle).values(key_hash=key.key_hash, failures=0, last_failure_at=now).on_conflict_do_nothing())
        row = session.exec(select(SignInThrottle).where(SignInThrottle.key_hash == key.key_hash)
                           .with_for_update().execution_options(populate_existing=True)).one()
        failures = 1 if now - row.last_failure_at >= key.rule.forget_after else row.failures + 1
        row.failures, row.last_failure_at = failures, now
        wait = wait_after(failures, key.rule)
        row.blocked_until = now + wait if wait else None
        session.add(row)


def forget_after_success(session: Session, keys: tuple[ThrottleKey, ...]) -> None:
    """Wipes the counts about this person; never the address's, or one good sign-in would clear a sprayer's count."""
    for key in keys:
        row = session.get(SignInThrottle, key.key_hash) if key.rule is not ADDRESS_RULE else None
        if row is not None:
            session.delete(row)


def purge(session: Session, now: datetime) -> int:
    """Rows nobody has failed on for a while carry no information any more."""
    longest = max(rule.forget_after for rule in RULES)
    stale = session.exec(select(SignInThrottle).where(SignInThrottle.last_failure_at < now - longest)).all()
    for row in stale:
        session.delete(row)
    return len(stale)
