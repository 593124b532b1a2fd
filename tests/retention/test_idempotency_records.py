"""Police idempotency records replay for a window (30 days by default), then the retention command deletes them."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from service.audit.models import AuditEvent
from service.audit.service import Actor
from service.cli import main
from service.config import Settings, get_settings
from service.db import utcnow
from service.notifications.models import IdempotencyRecord, Incident
from service.retention.service import idempotency_cutoff, purge_idempotency_records
from tests.retention.test_purge import incident

OPERATOR = Actor(type="operator", id="dpo", source="cli")
REPLAY_DAYS = 30


def post(client, key, body, idempotency_key: str):
    return client.post("/api/v1/incidents", json=body,
                       headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key})


def created(db, key: str, at: datetime) -> None:
    [record] = db.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == key)).all()
    record.created_at = at
    db.add(record)
    db.commit()


def keys_kept(db) -> set[str]:
    db.expire_all()
    return {record.key for record in db.exec(select(IdempotencyRecord))}


def test_records_older_than_the_replay_window_are_deleted_and_newer_ones_kept(client, police_key, onboard, db):
    now = utcnow()
    for key, age in (("old", timedelta(days=REPLAY_DAYS, seconds=1)), ("edge", timedelta(days=REPLAY_DAYS)),
                     ("recent", timedelta(days=REPLAY_DAYS) - timedelta(minutes=1))):
        assert post(client, police_key, incident(f"DC-IDEM-{key}"), key).status_code == 201
        created(db, key, now - age)

    report = purge_idempotency_records(db, replay_days=REPLAY_DAYS, actor=OPERATOR, now=now)
    db.commit()

    assert report.records == 2
    assert keys_kept(db) == {"recent"}
    assert len(db.exec(select(Incident)).all()) == 3, "only the replay records go, never the incidents"
    [audit] = db.exec(select(AuditEvent).where(AuditEvent.action == "retention.idempotency_purged")).all()
    assert (audit.detail["records"], audit.detail["replay_days"]) == (2, REPLAY_DAYS)


def test_a_police_retry_after_the_window_still_stores_the_incident_once(client, police_key, onboard, db):
    body = incident("DC-IDEM-RETRY")
    first = post(client, police_key, body, "retry-key")
    created(db, "retry-key", utcnow() - timedelta(days=REPLAY_DAYS + 1))
    purge_idempotency_records(db, replay_days=REPLAY_DAYS, actor=OPERATOR)
    db.commit()
    assert keys_kept(db) == set()

    again = post(client, police_key, body, "retry-key")

    assert again.status_code == 200
    assert again.json()["incident_id"] == first.json()["incident_id"]
    assert len(db.exec(select(Incident)).all()) == 1


def test_the_retention_command_counts_with_dry_run_then_deletes(client, police_key, onboard, db, capsys):
    assert get_settings().idempotency_replay_days == REPLAY_DAYS, "the default window"
    assert post(client, police_key, incident("DC-IDEM-CLI"), "cli-key").status_code == 201
    created(db, "cli-key", utcnow() - timedelta(days=REPLAY_DAYS + 2))
    assert post(client, police_key, incident("DC-IDEM-CLI-NEW"), "cli-new-key").status_code == 201
    capsys.readouterr()

    assert main(["retention", "purge", "--dry-run"]) == 0
    assert "Would delete 1 police idempotency records" in capsys.readouterr().out
    assert keys_kept(db) == {"cli-key", "cli-new-key"}

    assert main(["retention", "purge"]) == 0
    assert "Deleted 1 police idempotency records" in capsys.readouterr().out
    assert keys_kept(db) == {"cli-new-key"}


def test_the_replay_window_is_a_setting_of_at_least_a_day(monkeypatch):
    monkeypatch.setenv("IDEMPOTENCY_REPLAY_DAYS", "7")
    assert Settings().idempotency_replay_days == 7
    monkeypatch.setenv("IDEMPOTENCY_REPLAY_DAYS", "0")
    with pytest.raises(ValueError):
        Settings()
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert idempotency_cutoff(now, 30) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        idempotency_cutoff(now, 0)
