"""Database engine, naming convention and the one-transaction-per-request session."""

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, TypeVar

import anyio
import sqlalchemy as sa
from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from service.config import get_settings

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


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
        event.listen(engine.pool, "reset", self._connection_reset)
        for name in ("close", "invalidate", "soft_invalidate"):
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

    def _connection_reset(self, _dbapi_connection, record, _reset_state) -> None:
        # Its own listener: SQLAlchemy 2 passes reset_state, and converts a listener without it at every check-in,
        # with a deprecation warning, until the conversion is removed.
        self._connection_done(_dbapi_connection, record)

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
    _let_psycopg_cache_long_statements()
    # 20 kept open: 16 police clients at once then reuse connections instead of opening and closing overflow ones
    # (a 1,636-request run started 219 PostgreSQL backends with 10, and 20 with 20). At most 30, as before.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=10)


def _let_psycopg_cache_long_statements() -> None:
    """psycopg turns each statement's %(name)s placeholders into $1, $2 ... in Python, and caches the result only
    for statements under 4 KB with at most 50 parameters. Intake's one INSERT of an incident's rows is longer, so
    it was converted afresh every time: about 1 ms a request, an eighth of the web process's CPU (py-spy). These
    statements are few (one per shape, built once in _one_insert), so caching them costs little memory (the cache
    holds 128). psycopg is pinned (pyproject.toml); if a release drops these settings, this does nothing."""
    from psycopg import _queries

    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH") and hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 64 * 1024)
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 2_000)


def insert_rows(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """New rows that nothing reads back as objects in this transaction. They wait in the session, in the order given
    (parents first), and are written together by write_pending: before the next read through execute_core, before
    any ORM statement or flush, and at the latest before commit. On PostgreSQL rows waiting for several tables go
    in one statement (see _one_insert); on SQLite one executemany INSERT per table. A rollback drops them. Columns
    left out get their model defaults."""
    if rows:
        session.connection()  # begins the transaction now, so a rollback before the rows are written drops them
        session.info.setdefault(_PENDING, []).append((table, rows))


def write_pending(session: Session) -> None:
    """Writes the rows insert_rows left waiting in this session, if any. A conflict raises here (IntegrityError)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    groups = _same_table_runs(pending)
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(groups) > 1 and _parameter_count(groups) <= _MAX_PARAMETERS:
        statement, parameters = _one_insert_with_parameters(groups)
        connection.execute(statement, parameters)
        return
    for table, columns, rows in groups:
        connection.execute(_insert_into(table), rows)


def execute_core(session: Session, statement: sa.Executable, parameters=None) -> sa.CursorResult:
    """Runs a Core statement (table columns, no ORM entities) in the session's transaction, without the ORM's
    execution path, which costs about as much again as a small read itself. Waiting rows and pending ORM changes
    are written first, as Session.execute would, so what the statement reads or references is in the database."""
    write_pending(session)
    session.flush()
    return session.connection().execute(statement, parameters)


_PENDING = "encompass.pending_rows"
_MAX_PARAMETERS = 30_000  # PostgreSQL allows 65,535 bind parameters a statement; past this, one INSERT per table


def _same_table_runs(pending: list[tuple[sa.Table, list[dict]]]) -> list[tuple[sa.Table, tuple[str, ...], list[dict]]]:
    """Consecutive rows for the same table and columns as one run, each row with every default filled in, so the
    order of parents and children is kept and each run is one INSERT."""
    runs: list[tuple[sa.Table, tuple[str, ...], list[dict]]] = []
    for table, rows in pending:
        for row in rows:
            row = _with_defaults(table, row)
            columns = tuple(sorted(row))
            if runs and runs[-1][0] is table and runs[-1][1] == columns:
                runs[-1][2].append(row)
            else:
                runs.append((table, columns, [row]))
    return runs


def _with_defaults(table: sa.Table, row: dict) -> dict:
    """The row with the Python-side defaults of the columns it leaves out (a statement nested in another does not
    get SQLAlchemy's defaults filled in for it). Columns with a database default, such as serial ids, stay out."""
    missing = [column for column in table.columns if column.name not in row and column.default is not None]
    if not missing:
        return row
    row = dict(row)
    for column in missing:
        default = column.default
        row[column.name] = default.arg(None) if default.is_callable else default.arg
    return row


def _parameter_count(groups) -> int:
    return sum(len(columns) * len(rows) for _table, columns, rows in groups)


def _one_insert_with_parameters(groups) -> tuple[sa.Insert, dict]:
    shape = tuple((table, columns, len(rows)) for table, columns, rows in groups)
    parameters = {f"r{i}_{j}_{column}": row[column]
                  for i, (_table, columns, rows) in enumerate(groups) for j, row in enumerate(rows) for column in columns}
    return _one_insert(shape), parameters


@lru_cache(maxsize=256)
def _one_insert(shape: tuple[tuple[sa.Table, tuple[str, ...], int], ...]) -> sa.Insert:
    """One PostgreSQL statement inserting every row: each row but the last is a data-modifying CTE, so they are one
    round trip and one all-or-nothing step. Foreign keys still hold, as PostgreSQL checks them at the end of the
    statement, when every row is in. Serial ids are given in no set order within the statement. A row each, not a multi-row VALUES, which SQLAlchemy cannot cache: this way
    each shape (tables, columns and row counts) is built and compiled once, then reused."""
    inserts = [
        sa.insert(table).values({column: sa.bindparam(f"r{i}_{j}_{column}", type_=table.c[column].type) for column in columns})
        for i, (table, columns, count) in enumerate(shape) for j in range(count)
    ]
    *first, last = inserts
    return last.add_cte(*(insert.cte(f"row_{n}") for n, insert in enumerate(first)))


@lru_cache(maxsize=None)
def _insert_into(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


def _write_pending_before_orm(execute_state) -> None:
    write_pending(execute_state.session)


def _write_pending_before_flush(session, _flush_context, _instances) -> None:
    write_pending(session)


def _drop_pending(session, transaction) -> None:
    if transaction.parent is None:  # the session's transaction, not a savepoint inside it
        session.info.pop(_PENDING, None)


# The safety net: rows insert_rows left waiting reach the database before any ORM statement or flush and before
# commit; a transaction that ends any other way (rollback, close) drops them with everything else it did.
event.listen(OrmSession, "do_orm_execute", _write_pending_before_orm)
event.listen(OrmSession, "before_flush", _write_pending_before_flush)
event.listen(OrmSession, "before_commit", write_pending)
event.listen(OrmSession, "after_transaction_end", _drop_pending)


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


async def get_session() -> AsyncIterator[Session]:
    """One transaction per request: services never commit, this commits once before the response is sent. The
    session is made here, on the event loop (it connects at its first statement, in the handler's thread); the
    commit or rollback and close run in the thread pool, in one hop, or not at all when the handler has already
    committed (run_and_commit). A sync generator would take two hops, one each way."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):  # a cancelled request still gives its connection back
            await run_in_threadpool(_end, session, commit=False)
        raise
    if session.in_transaction() or session.info.get(_PENDING):
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_end, session, commit=True)
    else:
        session.close()  # nothing to commit and no connection held: no I/O


def _end(session: Session, *, commit: bool) -> None:
    with session:
        if not commit:
            session.rollback()
            return
        try:
            session.commit()
        except Exception:
            session.rollback()
            raise


async def run_and_commit(session: Session, work: Callable[..., T], /, **arguments) -> T:
    """For a handler that does all its work in one call: runs it and commits, in one hop to the thread pool, before
    the response is sent. A failure rolls back (get_session), as for any handler."""
    def work_and_commit() -> T:
        result = work(session, **arguments)
        session.commit()
        return result

    return await run_in_threadpool(work_and_commit)


# scope="function": FastAPI's default ends a yield dependency after the response is sent, so a failed commit
# (or a crash before it) would follow a 2xx for an incident that was never stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
