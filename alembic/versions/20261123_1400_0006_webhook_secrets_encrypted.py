"""webhook signing secrets encrypted at rest

Revision ID: 0006_webhook_secrets_encrypted
Revises: 0005_portal_page_indexes
Create Date: 2026-11-23 14:00:00

Each {"secret": "whsec_…"} entry in setting_webhook.secrets becomes {"secret_encrypted": <Fernet token>}, with the
service's own key (ENCRYPTION_KEYS, else SECRET_KEY), so run it with the settings the service runs with. The
downgrade decrypts them back, and stops with SecretUnreadable, changing nothing, if the key is not the one used.
"""
import sqlalchemy as sa
from alembic import op


revision = '0006_webhook_secrets_encrypted'
down_revision = '0005_portal_page_indexes'
branch_labels = None
depends_on = None

setting_webhook = sa.table('setting_webhook', sa.column('urn', sa.String), sa.column('secrets', sa.JSON))


def _keys():
    from service.config import get_settings
    from service.crypto import keyring

    return keyring(get_settings().at_rest_keys)


def _rewrite_entries(rewrite) -> None:
    connection = op.get_bind()
    for urn, entries in connection.execute(sa.select(setting_webhook.c.urn, setting_webhook.c.secrets)).all():
        new_entries = [rewrite(dict(entry)) for entry in entries or []]
        if new_entries != entries:
            connection.execute(setting_webhook.update().where(setting_webhook.c.urn == urn).values(secrets=new_entries))


def upgrade() -> None:
    from service.crypto import encrypt_secret

    keys = _keys()

    def encrypt(entry: dict) -> dict:
        if "secret" in entry:  # entries already encrypted are left as they are
            entry["secret_encrypted"] = encrypt_secret(entry.pop("secret"), keys)
        return entry

    _rewrite_entries(encrypt)


def downgrade() -> None:
    from service.crypto import decrypt_secret

    keys = _keys()

    def decrypt(entry: dict) -> dict:
        if "secret_encrypted" in entry:
            entry["secret"] = decrypt_secret(entry.pop("secret_encrypted"), keys)
        return entry

    _rewrite_entries(decrypt)
