"""Slowing down password guessing without locking anyone out: short, growing waits per (email, address) and per address."""

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


def keys_for(email: str, address: str) -> tuple[ThrottleKey, ThrottleKey]:
    email = email.strip().lower()
    return (ThrottleKey(_keyed_hash(f"pair:{email}|{address}"), PAIR_RULE), ThrottleKey(_keyed_hash(f"address:{address}"), ADDRESS_RULE))


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


def forget(session: Session, key: ThrottleKey) -> None:
    row = session.get(SignInThrottle, key.key_hash)
    if row is not None:
        session.delete(row)


def purge(session: Session, now: datetime) -> int:
    """Rows nobody has failed on for a while carry no information any more."""
    longest = max(PAIR_RULE.forget_after, ADDRESS_RULE.forget_after)
    stale = session.exec(select(SignInThrottle).where(SignInThrottle.last_failure_at < now - longest)).all()
    for row in stale:
        session.delete(row)
    return len(stale)
