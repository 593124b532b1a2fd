"""Rows handed to insert_rows wait in the session and reach the database together: they must never be lost, never
half-stored, and always be there for the next read in the same transaction (both databases)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.audit.models import AuditEvent
from service.db import execute_core, insert_rows, write_pending
from service.notifications.models import IdempotencyRecord


def _record(key: str, **values) -> dict:
    return {"force_id": "test-force", "key": key, "request_hash": "h" * 64, "status_code": 201,
            "response_body": {"incident_id": key}, **values}


def _audit(action: str) -> dict:
    return {"actor_type": "operator", "actor_id": "test", "action": action, "object_type": "test", "object_id": "1"}


def _keys(engine) -> list[str]:
    with Session(engine) as fresh:
        return sorted(fresh.exec(select(IdempotencyRecord.key)).all())


def test_waiting_rows_are_written_at_commit_with_their_defaults(engine, db):
    insert_rows(db, AuditEvent.__table__, [_audit("first"), _audit("second")])
    insert_rows(db, IdempotencyRecord.__table__, [_record("k1")])
    db.commit()

    with Session(engine) as fresh:
        audit = fresh.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        record = fresh.get(IdempotencyRecord, ("test-force", "k1"))
    assert sorted(a.action for a in audit) == ["first", "second"]  # ids within one write come in no set order
    assert all(a.at is not None and a.detail == {} and a.source == "" for a in audit)  # model defaults filled in
    assert record.created_at is not None and record.response_body == {"incident_id": "k1"}


def test_a_read_in_the_same_transaction_sees_rows_still_waiting(db):
    insert_rows(db, IdempotencyRecord.__table__, [_record("k1"), _record("k2")])
    core = execute_core(db, sa.select(sa.func.count()).select_from(IdempotencyRecord.__table__)).scalar_one()
    insert_rows(db, IdempotencyRecord.__table__, [_record("k3")])
    orm = db.exec(select(IdempotencyRecord.key).order_by(IdempotencyRecord.key)).all()
    assert (core, orm) == (2, ["k1", "k2", "k3"])


def test_a_rollback_drops_waiting_rows_and_the_next_transaction_starts_clean(engine, db):
    insert_rows(db, IdempotencyRecord.__table__, [_record("dropped")])
    db.rollback()
    insert_rows(db, IdempotencyRecord.__table__, [_record("kept")])
    db.commit()
    assert _keys(engine) == ["kept"]


def test_a_session_closed_without_commit_stores_nothing(engine):
    with Session(engine) as session:
        insert_rows(session, IdempotencyRecord.__table__, [_record("never")])
    with Session(engine) as session:
        session.commit()
    assert _keys(engine) == []


@pytest.mark.parametrize("conflict_first", [True, False], ids=["conflict in the first table", "conflict in the last"])
def test_a_conflict_anywhere_stores_none_of_the_rows_written_with_it(engine, db, conflict_first):
    insert_rows(db, IdempotencyRecord.__table__, [_record("taken")])
    db.commit()

    audit, record = (AuditEvent.__table__, [_audit("with the conflict")]), (IdempotencyRecord.__table__, [_record("taken")])
    for table, rows in ([record, audit] if conflict_first else [audit, record]):
        insert_rows(db, table, rows)
    with pytest.raises(IntegrityError):
        write_pending(db)
    db.rollback()

    with Session(engine) as fresh:
        assert fresh.exec(select(AuditEvent)).all() == []
    assert _keys(engine) == ["taken"]
