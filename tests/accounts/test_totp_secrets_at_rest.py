"""TOTP secrets are encrypted at rest: a database dump holds none, signing in still works, keys can rotate."""

import logging

import pyotp
import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from service.accounts.models import User
from service.accounts.service import totp_keys, totp_secret_of
from service.audit.models import AuditEvent
from service.cli import main
from service.crypto import decrypt_secret
from service.migrations import alembic_config, upgrade_to_head

PASSWORD = "correct horse battery staple"
OLD_KEY = "old-encryption-key-0123456789abcdefghijklmnop"
NEW_KEY = "new-encryption-key-0123456789abcdefghijklmnop"
BEFORE_ENCRYPTION = "0006_webhook_secrets_encrypted"


def stored_secrets(engine) -> str:
    """Both TOTP columns exactly as a database dump would show them."""
    with engine.connect() as connection:
        users = connection.execute(sa.text("SELECT id, totp_secret FROM user_account ORDER BY id")).all()
        pending = connection.execute(sa.text("SELECT token_hash, pending_totp_secret FROM portal_session ORDER BY token_hash")).all()
    return "\n".join(f"{key} {value}" for key, value in [*users, *pending])


def _post_password(client, csrf_from, email: str):
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page)}, follow_redirects=False)


def _post_code(client, csrf_from, path: str, code: str):
    page = client.get(path)
    return client.post(path, data={"code": code, "csrf_token": csrf_from(page)}, follow_redirects=False)


def test_setting_up_the_app_stores_no_plain_secret_and_the_code_then_signs_in(client, db, engine, make_user, csrf_from, sign_in):
    user = make_user("setting_staff", urns=("112517",), two_factor=False)
    _post_password(client, csrf_from, user.email)
    page = client.get("/sign-in/set-up-two-factor")
    assert page.status_code == 200
    secret = page.text.split('id="totp-secret"')[1].split(">", 1)[1].split("<", 1)[0].replace(" ", "").strip()
    assert len(secret) == 32
    assert secret not in stored_secrets(engine), "the secret offered on the set-up page is stored in plain text"

    response = _post_code(client, csrf_from, "/sign-in/set-up-two-factor", pyotp.TOTP(secret).now())
    assert response.headers["location"] == "/notifications"
    db.expire_all()
    assert user.id is not None and db.get(User, user.id).totp_secret is not None
    assert secret not in stored_secrets(engine), "the confirmed secret is stored in plain text"

    client.cookies.clear()
    sign_in(client, user)  # password, then a code from the same app, read back through the encrypted column
    assert client.get("/notifications", follow_redirects=False).status_code == 200


def test_a_wrong_key_refuses_sign_in_with_a_clear_page_and_log_line_and_the_right_key_lets_them_in(
    client, db, make_user, csrf_from, check_page, encryption_keys, caplog
):
    encryption_keys(OLD_KEY)
    user = make_user("setting_staff", urns=("112517",))
    secret = totp_secret_of(user)

    encryption_keys(NEW_KEY)  # deployed without the key the secret was stored with
    assert _post_password(client, csrf_from, user.email).headers["location"] == "/sign-in/two-factor"
    with caplog.at_level(logging.DEBUG):
        response = _post_code(client, csrf_from, "/sign-in/two-factor", pyotp.TOTP(secret).now())
    assert response.status_code == 503
    soup = check_page(response)
    assert soup.h1.get_text(strip=True) == "You cannot sign in at the moment"
    assert "Traceback" not in response.text and "ENCRYPTION_KEYS" not in response.text
    lines = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert any(f"User {user.id} cannot sign in until the encryption key is fixed" in line and "ENCRYPTION_KEYS" in line
               for line in lines), lines
    for text in (record.getMessage() for record in caplog.records):
        assert secret not in text and user.email not in text
    db.expire_all()
    refusal = db.exec(select(AuditEvent).where(AuditEvent.action == "sign_in.failed")).all()
    assert [event.detail.get("reason") for event in refusal] == ["secret_unreadable"]

    encryption_keys(NEW_KEY, OLD_KEY)  # the operator puts the old key back, behind the new one
    response = _post_code(client, csrf_from, "/sign-in/two-factor", pyotp.TOTP(secret).now())
    assert response.headers["location"] == "/notifications"


def test_a_wrong_key_on_the_set_up_page_refuses_rather_than_failing(client, make_user, csrf_from, encryption_keys):
    encryption_keys(OLD_KEY)
    user = make_user("setting_staff", urns=("112517",), two_factor=False)
    _post_password(client, csrf_from, user.email)

    encryption_keys(NEW_KEY)
    response = client.get("/sign-in/set-up-two-factor")
    assert response.status_code == 503 and "You cannot sign in at the moment" in response.text


def test_secrets_reencrypt_moves_totp_secrets_to_the_new_key_so_the_old_one_can_go(
    client, db, engine, make_user, sign_in, encryption_keys, capsys
):
    encryption_keys(OLD_KEY)
    user = make_user("setting_staff", urns=("112517",))
    written_with_old_key = stored_secrets(engine)

    encryption_keys(NEW_KEY, OLD_KEY)
    assert main(["secrets", "reencrypt"]) == 0
    assert "1 authenticator app (TOTP) secret(s)" in capsys.readouterr().out
    assert stored_secrets(engine) != written_with_old_key

    encryption_keys(NEW_KEY)
    sign_in(client, user)
    assert client.get("/notifications", follow_redirects=False).status_code == 200


def test_reencrypt_with_the_old_key_missing_changes_nothing_and_says_why(db, engine, make_user, encryption_keys, capsys):
    encryption_keys(OLD_KEY)
    make_user("setting_staff", urns=("112517",))
    before = stored_secrets(engine)

    encryption_keys(NEW_KEY)
    assert main(["secrets", "reencrypt"]) == 2
    assert "cannot be decrypted with ENCRYPTION_KEYS" in capsys.readouterr().err
    assert stored_secrets(engine) == before


def test_the_dev_code_command_reads_the_encrypted_secret(db, make_user, capsys):
    user = make_user("setting_staff", urns=("112517",))
    assert main(["users", "totp-code", "--email", user.email]) == 0
    printed = capsys.readouterr().out.strip()
    assert pyotp.TOTP(totp_secret_of(user)).verify(printed, valid_window=1)


def _migrate(engine, action, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def test_the_migration_encrypts_plain_secrets_and_the_downgrade_restores_them(fresh_engine):
    _migrate(fresh_engine, command.upgrade, BEFORE_ENCRYPTION)
    confirmed, pending = pyotp.random_base32(), pyotp.random_base32()
    with fresh_engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO user_account (id, email, display_name, kind, totp_secret, is_active, created_at) "
            "VALUES (1, 'dsl@example.gov.uk', 'DSL', 'setting_staff', :secret, :active, '2026-11-23 09:00:00+00:00')"),
            {"secret": confirmed, "active": True})
        connection.execute(sa.text(
            "INSERT INTO portal_session (token_hash, user_id, stage, created_at, last_seen_at, pending_totp_secret, "
            "two_factor_failures, flashes) VALUES ('h1', 1, 'set_up_two_factor', '2026-11-23 09:00:00+00:00', "
            "'2026-11-23 09:00:00+00:00', :secret, 0, '[]')"), {"secret": pending})

    upgrade_to_head(fresh_engine)
    dump = stored_secrets(fresh_engine)
    assert confirmed not in dump and pending not in dump
    with fresh_engine.connect() as connection:
        stored_confirmed = connection.execute(sa.text("SELECT totp_secret FROM user_account")).scalar_one()
        stored_pending = connection.execute(sa.text("SELECT pending_totp_secret FROM portal_session")).scalar_one()
    assert decrypt_secret(stored_confirmed, totp_keys()) == confirmed
    assert decrypt_secret(stored_pending, totp_keys()) == pending

    _migrate(fresh_engine, command.downgrade, BEFORE_ENCRYPTION)
    assert stored_secrets(fresh_engine) == f"1 {confirmed}\nh1 {pending}"


def test_a_secret_sealed_with_another_label_does_not_open(make_user):
    # Same key, different purpose: a webhook secret's token must not pass for a TOTP secret, nor the other way round.
    from service.alerts.service import webhook_keys
    from service.crypto import SecretUnreadable, encrypt_secret

    user = make_user("setting_staff", urns=("112517",))
    user.totp_secret = encrypt_secret(pyotp.random_base32(), webhook_keys())
    with pytest.raises(SecretUnreadable):
        totp_secret_of(user)
