"""Webhook signing secrets are encrypted at rest: a database dump holds none, signing still works, keys can rotate."""

import json
import logging
from datetime import UTC, datetime

import pytest
import respx
import sqlalchemy as sa
from alembic import command
from pydantic import ValidationError
from sqlmodel import select

from service.alerts import service as alerts_service
from service.alerts import setting_webhooks
from service.alerts.models import OutboxMessage
from service.alerts.webhooks import generate_secret, verify
from service.audit.service import Actor
from service.cli import main
from service.config import Settings
from service.crypto import SecretUnreadable
from service.migrations import alembic_config, upgrade_to_head
from tests.alerts.fakes import NOTIFY_SETTINGS

BRIMINGTON_JUNIOR = "112517"
HOOK_URL = "https://hooks.brimington.example/encompass"
OPERATOR = Actor(type="operator", id="ops", source="test")
OLD_KEY = "old-encryption-key-0123456789abcdefghijklmnop"
NEW_KEY = "new-encryption-key-0123456789abcdefghijklmnop"
BEFORE_ENCRYPTION = "0005_portal_page_indexes"



def send_and_check_signature(worker, secret: str) -> None:
    """Runs the worker once against the setting's webhook and checks the request verifies with `secret`."""
    with respx.mock as mock:
        route = mock.post(HOOK_URL).respond(200)
        worker.run_once()
    request = route.calls.last.request
    assert verify(payload=request.content, headers=dict(request.headers), secret=secret,
                  now=int(worker.clock().timestamp()))

def stored_secrets(engine) -> str:
    """The setting_webhook rows exactly as a database dump would show them."""
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT urn, secrets FROM setting_webhook ORDER BY urn")).all()
    # Each value in full: a Row's repr shortens long values, which would hide a secret.
    return "\n".join(f"{urn} {secrets if isinstance(secrets, str) else json.dumps(secrets)}" for urn, secrets in rows)


def test_the_database_never_holds_a_secret_in_plain_text_after_set_or_rotate(db, engine, onboard):
    onboard(BRIMINGTON_JUNIOR)
    first = setting_webhooks.set_webhook(db, urn=BRIMINGTON_JUNIOR, url=HOOK_URL, actor=OPERATOR)
    db.commit()
    dump = stored_secrets(engine)
    assert "secret_encrypted" in dump and first not in dump and first.removeprefix("whsec_") not in dump

    second = setting_webhooks.rotate_webhook_secret(db, urn=BRIMINGTON_JUNIOR, actor=OPERATOR)
    db.commit()
    dump = stored_secrets(engine)
    assert dump.count("secret_encrypted") == 2
    for secret in (first, second):
        assert secret.removeprefix("whsec_") not in dump


def test_webhooks_are_signed_with_the_secret_the_setting_was_given(db, onboard, post_incident, make_worker):
    onboard(BRIMINGTON_JUNIOR)
    secret = setting_webhooks.set_webhook(db, urn=BRIMINGTON_JUNIOR, url=HOOK_URL, actor=OPERATOR)
    db.commit()
    post_incident()
    worker = make_worker()
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(HOOK_URL).respond(204)
        assert worker.run_once().dead == 0

    request = route.calls.last.request
    assert verify(payload=request.content, headers=dict(request.headers), secret=secret,
                  now=int(worker.clock().timestamp()))
    assert not verify(payload=request.content, headers=dict(request.headers), secret=generate_secret(),
                      now=int(worker.clock().timestamp()))


def test_a_new_key_in_front_keeps_old_secrets_readable_and_reencrypt_lets_the_old_key_go(
    db, engine, onboard, post_incident, make_worker, encryption_keys, capsys
):
    encryption_keys(OLD_KEY)
    onboard(BRIMINGTON_JUNIOR)
    secret = setting_webhooks.set_webhook(db, urn=BRIMINGTON_JUNIOR, url=HOOK_URL, actor=OPERATOR)
    db.commit()
    written_with_old_key = stored_secrets(engine)

    encryption_keys(NEW_KEY, OLD_KEY)
    assert main(["webhooks", "reencrypt"]) == 0
    assert "1 webhook secret(s)" in capsys.readouterr().out
    assert stored_secrets(engine) != written_with_old_key

    encryption_keys(NEW_KEY)
    post_incident()
    worker = make_worker()
    send_and_check_signature(worker, secret)


def test_reencrypt_with_the_old_key_missing_changes_nothing_and_says_why(db, engine, onboard, encryption_keys, capsys):
    encryption_keys(OLD_KEY)
    onboard(BRIMINGTON_JUNIOR)
    setting_webhooks.set_webhook(db, urn=BRIMINGTON_JUNIOR, url=HOOK_URL, actor=OPERATOR)
    db.commit()
    before = stored_secrets(engine)

    encryption_keys(NEW_KEY)
    assert main(["webhooks", "reencrypt"]) == 2
    assert "cannot be decrypted with ENCRYPTION_KEYS" in capsys.readouterr().err
    assert stored_secrets(engine) == before


def test_a_wrong_key_dead_letters_the_webhook_with_a_clear_reason_and_a_retry_sends_it_once_fixed(
    db, onboard, post_incident, make_worker, encryption_keys, caplog
):
    encryption_keys(OLD_KEY)
    onboard(BRIMINGTON_JUNIOR)
    secret = setting_webhooks.set_webhook(db, urn=BRIMINGTON_JUNIOR, url=HOOK_URL, actor=OPERATOR)
    db.commit()
    post_incident()

    encryption_keys(NEW_KEY)  # deployed without the key the secret was stored with
    worker = make_worker()
    with caplog.at_level(logging.DEBUG), respx.mock as mock:
        route = mock.post(HOOK_URL).respond(200)
        report = worker.run_once()
    assert route.calls.call_count == 0
    assert report.sent >= 1, "the email alerts still go out"
    db.expire_all()
    [hook_alert] = db.exec(select(OutboxMessage).where(OutboxMessage.audience == "webhook")).all()
    assert hook_alert.state == "dead"
    assert "cannot be decrypted with ENCRYPTION_KEYS" in hook_alert.last_error
    for text in [hook_alert.last_error, *(record.getMessage() for record in caplog.records)]:
        assert secret.removeprefix("whsec_") not in text

    encryption_keys(NEW_KEY, OLD_KEY)
    alerts_service.retry_dead_letter(db, hook_alert.id, OPERATOR, now=worker.clock())
    db.commit()
    send_and_check_signature(worker, secret)
    db.expire_all()
    assert db.get(OutboxMessage, hook_alert.id).state == "sent"


def _migrate(engine, action, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def _webhook_entries(engine) -> list[dict]:
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT secrets FROM setting_webhook WHERE urn = :urn"),
                                    {"urn": BRIMINGTON_JUNIOR}).scalar_one()
    return json.loads(stored) if isinstance(stored, str) else stored


def test_the_migration_encrypts_existing_plain_secrets_and_the_downgrade_restores_them(fresh_engine):
    _migrate(fresh_engine, command.upgrade, BEFORE_ENCRYPTION)
    current, previous = generate_secret(), generate_secret()
    plain = [{"secret": current, "expires_at": None}, {"secret": previous, "expires_at": "2026-11-24T09:00:00+00:00"}]
    with fresh_engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO setting_webhook (urn, url, secrets, active, created_at, updated_at) "
                    "VALUES (:urn, :url, :secrets, :active, :at, :at)"),
            {"urn": BRIMINGTON_JUNIOR, "url": HOOK_URL, "secrets": json.dumps(plain), "active": True,
             "at": "2026-11-23 09:00:00+00:00"},
        )

    upgrade_to_head(fresh_engine)
    encrypted = _webhook_entries(fresh_engine)
    assert [set(entry) for entry in encrypted] == [{"secret_encrypted", "expires_at"}] * 2
    assert [entry["expires_at"] for entry in encrypted] == [entry["expires_at"] for entry in plain]
    assert current.removeprefix("whsec_") not in repr(encrypted) and previous.removeprefix("whsec_") not in repr(encrypted)
    keys = alerts_service.webhook_keys()
    assert alerts_service.signing_secrets(encrypted, datetime(2026, 11, 23, 12, tzinfo=UTC), keys=keys) == [current, previous]

    _migrate(fresh_engine, command.downgrade, BEFORE_ENCRYPTION)
    assert _webhook_entries(fresh_engine) == plain


def test_the_downgrade_with_the_wrong_key_stops_without_losing_secrets(fresh_engine, encryption_keys):
    encryption_keys(OLD_KEY)
    _migrate(fresh_engine, command.upgrade, BEFORE_ENCRYPTION)
    with fresh_engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO setting_webhook (urn, url, secrets, active, created_at, updated_at) "
                    "VALUES (:urn, :url, :secrets, :active, :at, :at)"),
            {"urn": BRIMINGTON_JUNIOR, "url": HOOK_URL, "active": True, "at": "2026-11-23 09:00:00+00:00",
             "secrets": json.dumps([{"secret": generate_secret(), "expires_at": None}])},
        )
    upgrade_to_head(fresh_engine)
    encrypted = _webhook_entries(fresh_engine)

    encryption_keys(NEW_KEY)
    with pytest.raises(SecretUnreadable):
        _migrate(fresh_engine, command.downgrade, BEFORE_ENCRYPTION)
    assert _webhook_entries(fresh_engine) == encrypted


def test_without_encryption_keys_the_secret_key_is_used_and_production_refuses_weak_ones():
    production = {"environment": "production", "database_url": "postgresql://encompass@db.internal:5432/encompass",
                  "secret_key": "k3T9-long-random-production-secret-value-0001",
                  "base_url": "https://encompass.example.gov.uk", **NOTIFY_SETTINGS}
    assert Settings(**production).at_rest_keys == [production["secret_key"]]
    assert Settings(**production, encryption_keys=f" {NEW_KEY} , {OLD_KEY} ").at_rest_keys == [NEW_KEY, OLD_KEY]
    with pytest.raises(ValidationError, match="ENCRYPTION_KEYS"):
        Settings(**production, encryption_keys=f"{NEW_KEY},too-short")
