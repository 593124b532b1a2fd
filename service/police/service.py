"""Police forces and API clients: issuing, rotating and revoking keys, and authenticating a request."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from service.db import execute_core, utcnow
from service.police.models import ApiClient, ApiKey, PoliceForce

SCOPES = ("incidents:write", "notifications:read")
KEY_PREFIX = "oe_"


@dataclass(frozen=True)
class IssuedKey:
    client_id: int
    key: str  # shown once, never stored


@dataclass(frozen=True)
class RoutingArea:
    """What routing needs of a force: the LAs it covers, and the one a child with no known home LA goes to."""

    default_la_code: str
    la_codes: tuple[str, ...]


@dataclass(frozen=True)
class AuthenticatedClient:
    client_id: int
    force_id: str
    scopes: frozenset[str]
    area: RoutingArea | None = None  # the force's, read with the key (None: read it with routing_area when needed)


_FORCE = PoliceForce.__table__.c
# Statements built once: these run for every police request, and building and keying a statement costs about as much
# as running one of these small reads.
_ROUTING_AREA = sa.select(_FORCE.default_la_code, _FORCE.la_codes).where(_FORCE.id == sa.bindparam("force_id"))


def routing_area(session: Session, force_id: str) -> RoutingArea:
    row = execute_core(session, _ROUTING_AREA, {"force_id": force_id}).one()
    return RoutingArea(default_la_code=row.default_la_code, la_codes=tuple(row.la_codes))


def _hash(secret_key: str) -> str:
    return hashlib.sha256(secret_key.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def _issue_key(session: Session, client_id: int) -> str:
    prefix, key = _new_key()
    session.add(ApiKey(client_id=client_id, prefix=prefix, key_hash=_hash(key)))
    return key


def upsert_force(session: Session, *, force_id: str, name: str, default_la_code: str, la_codes: list[str]) -> PoliceForce:
    force = session.get(PoliceForce, force_id) or PoliceForce(id=force_id, name=name, default_la_code=default_la_code)
    force.name, force.default_la_code = name, default_la_code
    force.la_codes = sorted(set(la_codes) | {default_la_code})
    session.add(force)
    session.flush()
    return force


def create_client(session: Session, *, force_id: str, name: str, scopes: list[str] | None = None) -> IssuedKey:
    if session.get(PoliceForce, force_id) is None:
        raise ValueError(f"No police force with id {force_id!r}. Add it first with `encompass police add-force`.")
    unknown = set(scopes or []) - set(SCOPES)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}. Known: {', '.join(SCOPES)}")
    client = ApiClient(force_id=force_id, name=name, scopes=list(scopes or SCOPES))
    session.add(client)
    session.flush()
    return IssuedKey(client_id=client.id, key=_issue_key(session, client.id))


MAX_KEY_OVERLAP = timedelta(days=30)


def rotate_key(session: Session, *, client_id: int, overlap: timedelta = timedelta(hours=24), now: datetime | None = None) -> IssuedKey:
    """A new key; old keys keep working for `overlap` so the force can switch without an outage."""
    if not timedelta(0) <= overlap <= MAX_KEY_OVERLAP:
        raise ValueError("The overlap must be 0 or more, and 30 days or less: older keys cannot stop working before "
                         "the rotation, and a rotation that keeps them for longer rotates nothing")
    now = now or utcnow()
    client = _live_client(session, client_id)
    for key in session.exec(select(ApiKey).where(ApiKey.client_id == client.id, ApiKey.revoked_at.is_(None))):
        if key.expires_at is None or key.expires_at > now + overlap:
            key.expires_at = now + overlap
            session.add(key)
    return IssuedKey(client_id=client.id, key=_issue_key(session, client.id))


def revoke_client(session: Session, *, client_id: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    client = _live_client(session, client_id)
    client.revoked_at = now
    session.add(client)
    for key in session.exec(select(ApiKey).where(ApiKey.client_id == client.id, ApiKey.revoked_at.is_(None))):
        key.revoked_at = now
        session.add(key)


def list_clients(session: Session) -> list[tuple[ApiClient, int]]:
    """Every client with how many of its keys still work."""
    now = utcnow()
    rows = []
    for client in session.exec(select(ApiClient).order_by(ApiClient.force_id, ApiClient.id)):
        keys = session.exec(select(ApiKey).where(ApiKey.client_id == client.id)).all()
        rows.append((client, sum(1 for k in keys if _key_works(k, now))))
    return rows


def _live_client(session: Session, client_id: int) -> ApiClient:
    client = session.get(ApiClient, client_id)
    if client is None:
        raise ValueError(f"No API client with id {client_id}")
    if client.revoked_at is not None:
        raise ValueError(f"API client {client_id} is revoked")
    return client


def _key_works(key, now: datetime) -> bool:
    """`key` is an ApiKey or a row with its expires_at and revoked_at."""
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


def parse_prefix(presented: str) -> str | None:
    if not presented.startswith(KEY_PREFIX):
        return None
    prefix, sep, _ = presented[len(KEY_PREFIX):].partition("_")
    return prefix if sep and len(prefix) == 12 else None


_KEY, _CLIENT = ApiKey.__table__.c, ApiClient.__table__.c
# One round trip for the key, its client and the client's force's routing area, as columns: nothing here is
# changed, so no ORM instances are built.
_KEY_AND_CLIENT = (
    sa.select(_KEY.key_hash, _KEY.expires_at, _KEY.revoked_at, _CLIENT.id.label("client_id"), _CLIENT.force_id,
              _CLIENT.scopes, _CLIENT.revoked_at.label("client_revoked_at"), _FORCE.default_la_code, _FORCE.la_codes)
    .join_from(ApiKey.__table__, ApiClient.__table__, _CLIENT.id == _KEY.client_id)
    .join(PoliceForce.__table__, _FORCE.id == _CLIENT.force_id)
    .where(_KEY.prefix == sa.bindparam("prefix"))
)


def authenticate(session: Session, presented: str, *, now: datetime | None = None) -> AuthenticatedClient | None:
    """The client a bearer key belongs to, or None for a missing, wrong, expired or revoked key."""
    now = now or utcnow()
    prefix = parse_prefix(presented)
    if prefix is None:
        return None
    row = execute_core(session, _KEY_AND_CLIENT, {"prefix": prefix}).first()
    if row is None:
        return None
    if not hmac.compare_digest(row.key_hash, _hash(presented)) or not _key_works(row, now) or row.client_revoked_at is not None:
        return None
    return AuthenticatedClient(client_id=row.client_id, force_id=row.force_id, scopes=frozenset(row.scopes),
                               area=RoutingArea(default_la_code=row.default_la_code, la_codes=tuple(row.la_codes)))
