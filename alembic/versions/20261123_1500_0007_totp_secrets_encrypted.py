"""TOTP secrets encrypted at rest

Revision ID: 0007_totp_secrets_encrypted
Revises: 0006_webhook_secrets_encrypted
Create Date: 2026-11-23 15:00:00

user_account.totp_secret and portal_session.pending_totp_secret widen to hold Fernet tokens, and every stored secret is
encrypted in place with the service's own key (ENCRYPTION_KEYS, else SECRET_KEY), so run it with the settings the
service runs with. The downgrade decrypts them back and narrows the columns; it stops with SecretUnreadable, changing
nothing, if the key is not the one used.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007_totp_secrets_encrypted'
down_revision = '0006_webhook_secrets_encrypted'
branch_labels = None
depends_on = None

# Spelled out rather than imported: this revision must keep meaning this label if the service's ever changes.
TOTP_SECRETS_LABEL = b"encompass/totp-secrets/v1"
# (table, key column, secret column)
SECRET_COLUMNS = (('user_account', 'id', 'totp_secret'), ('portal_session', 'token_hash', 'pending_totp_secret'))
PLAIN_WIDTH, ENCRYPTED_WIDTH = 64, 255


def _keys():
    from service.crypto import at_rest_keyring

    return at_rest_keyring(TOTP_SECRETS_LABEL)


def _rewrite_secrets(rewrite) -> None:
    connection = op.get_bind()
    for table_name, key_name, secret_name in SECRET_COLUMNS:
        table = sa.table(table_name, sa.column(key_name), sa.column(secret_name, sa.String))
        key, secret = table.c[key_name], table.c[secret_name]
        for key_value, stored in connection.execute(sa.select(key, secret).where(secret.is_not(None))).all():
            connection.execute(table.update().where(key == key_value).values({secret_name: rewrite(stored)}))


def _resize(width_from: int, width_to: int) -> None:
    for table_name, _key, secret_name in SECRET_COLUMNS:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column(secret_name, existing_type=sqlmodel.sql.sqltypes.AutoString(length=width_from),
                                  type_=sqlmodel.sql.sqltypes.AutoString(length=width_to), existing_nullable=True)


def upgrade() -> None:
    from service.crypto import encrypt_secret

    _resize(PLAIN_WIDTH, ENCRYPTED_WIDTH)
    keys = _keys()
    _rewrite_secrets(lambda secret: encrypt_secret(secret, keys))


def downgrade() -> None:
    from service.crypto import decrypt_secret

    keys = _keys()
    _rewrite_secrets(lambda token: decrypt_secret(token, keys))
    _resize(ENCRYPTED_WIDTH, PLAIN_WIDTH)
