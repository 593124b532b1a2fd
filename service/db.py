"""Database engine, naming convention and the one-transaction-per-request session."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from service.config import get_settings

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the worker read while the web process writes; busy_timeout queues writers instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# Statements that never write: they run beside a writer (WAL) without queueing.
_READ_ONLY_PREFIXES = ("SELECT", "PRAGMA", "WITH", "EXPLAIN", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")
_WRITER_QUEUE_TIMEOUT_S = 30.0  # as busy_timeout: after that, SQLite's own lock decides


class SQLiteWriterQueue:
    """One writing transaction at a time per process, handed over the moment the last one ends.

    SQLite has one write lock per database. Without this, concurrent request threads wanting it all spin in SQLite's
    busy handler, which sleeps up to 100 ms between tries, so the lock sits idle while writers doze (p99 in seconds
    at 16 clients). Here a thread waits on a Python lock instead: the transaction's first write takes it, its commit
    or rollback (or the connection going back to the pool) gives it back. Reads never queue. Other processes (the
    worker, the CLI) still meet at SQLite's own lock, with busy_timeout, exactly as before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        for name in ("commit", "rollback"):
            event.listen(engine, name, self._end_of_transaction)
        for name in ("reset", "close", "invalidate", "soft_invalidate"):
            event.listen(engine.pool, name, self._connection_done)

    def _before_execute(self, connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        info = connection.info  # the pooled DBAPI connection's: one per SQLite connection, whoever holds it
        if info.get("sqlite_writer") or statement.lstrip()[:9].upper().startswith(_READ_ONLY_PREFIXES):
            return
        info["sqlite_writer"] = self._lock.acquire(timeout=_WRITER_QUEUE_TIMEOUT_S)

    def _end_of_transaction(self, connection) -> None:
        # Fired just before SQLite commits or rolls back: the next writer may then wait a millisecond in SQLite's
        # busy handler, never longer (a WAL commit is quick).
        if not connection.closed:
            self._release(connection.info)

    def _connection_done(self, _dbapi_connection, record, *_rest) -> None:
        if record is not None:
            self._release(record.info)

    def _release(self, info: dict) -> None:
        if info.pop("sqlite_writer", False):
            self._lock.release()


@lru_cache
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        SQLiteWriterQueue().install(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def insert_rows(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """New rows that nothing reads back as objects in this transaction, written at once with one executemany INSERT
    per set of columns given: no ORM objects to build, nothing for the flush to sort out. Parents go first (the
    caller's order), so foreign keys hold on SQLite as on PostgreSQL. Columns left out get their model defaults."""
    by_columns: dict[frozenset, list[dict]] = {}
    for row in rows:
        by_columns.setdefault(frozenset(row), []).append(row)
    for same_columns in by_columns.values():
        execute_core(session, _insert_into(table), same_columns)


def execute_core(session: Session, statement: sa.Executable, parameters=None) -> sa.CursorResult:
    """Runs a Core statement (table columns, no ORM entities) in the session's transaction, without the ORM's
    execution path, which costs about as much again as a small read itself. Pending changes are flushed first,
    as Session.execute would, so what the statement reads or references is in the database."""
    session.flush()
    return session.connection().execute(statement, parameters)


@lru_cache(maxsize=None)
def _insert_into(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction (requests, the CLI, the worker): commit on success, roll back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def get_session() -> Iterator[Session]:
    """One transaction per request: services never commit, this commits once before the response is sent."""
    with unit_of_work() as session:
        yield session


# scope="function": FastAPI's default ends a yield dependency after the response is sent, so a failed commit
# (or a crash before it) would follow a 2xx for an incident that was never stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
