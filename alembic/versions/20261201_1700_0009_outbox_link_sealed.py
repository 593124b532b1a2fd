"""outbox links that carry a one-time token sealed at rest

Revision ID: 0009_outbox_link_sealed
Revises: 0008_notification_owners
Create Date: 2026-12-01 17:00:00

outbox_message.link widens to hold a sealed link ("sealed:" and a Fernet token). Invitation and password-reset links
carry a token that sets a password: those still waiting (pending, sending) are sealed in place with the service's own
key (ENCRYPTION_KEYS, else SECRET_KEY), so run it with the settings the service runs with; those already sent or dead
are blanked, as the worker now does once it has finished with one. Notification links carry no token and stay as they
are. The downgrade opens the sealed links back (stopping with SecretUnreadable, changing nothing, if the key is not
the one used) and narrows the column; a blanked link stays blank.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009_outbox_link_sealed'
down_revision = '0008_notification_owners'
branch_labels = None
depends_on = None

# Spelled out rather than imported: this revision must keep meaning these if the service's ever change.
OUTBOX_LINKS_LABEL = b"encompass/outbox-credential-links/v1"
SEALED_PREFIX = "sealed:"
CREDENTIAL_TEMPLATES = ('invitation', 'password_reset')
WAITING_STATES = ('pending', 'sending')
PLAIN_WIDTH, SEALED_WIDTH = 300, 1000

outbox_message = sa.table('outbox_message', sa.column('id', sa.Integer), sa.column('template', sa.String),
                          sa.column('state', sa.String), sa.column('link', sa.String))


def _keys():
    from service.crypto import at_rest_keyring

    return at_rest_keyring(OUTBOX_LINKS_LABEL)


def _rewrite_credential_links(rewrite, *conditions) -> None:
    """rewrite(state, link) -> the new link, for every invitation and reset message matching the conditions."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(outbox_message.c.id, outbox_message.c.state, outbox_message.c.link)
        .where(outbox_message.c.template.in_(CREDENTIAL_TEMPLATES), *conditions)
    ).all()
    for message_id, state, link in rows:
        connection.execute(outbox_message.update().where(outbox_message.c.id == message_id)
                           .values(link=rewrite(state, link)))


def _resize(width_from: int, width_to: int) -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('link', existing_type=sqlmodel.sql.sqltypes.AutoString(length=width_from),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=width_to), existing_nullable=False)


def upgrade() -> None:
    from service.crypto import encrypt_secret

    _resize(PLAIN_WIDTH, SEALED_WIDTH)
    keys = _keys()
    # Queued reset requests are this revision's; the earlier worker would not know them.
    op.execute("DELETE FROM outbox_message WHERE audience = 'reset_request'")
    _rewrite_credential_links(
        lambda state, link: SEALED_PREFIX + encrypt_secret(link, keys) if state in WAITING_STATES else '',
        outbox_message.c.link != '', sa.not_(outbox_message.c.link.startswith(SEALED_PREFIX)))


def downgrade() -> None:
    from service.crypto import decrypt_secret

    keys = _keys()
    _rewrite_credential_links(lambda _state, link: decrypt_secret(link.removeprefix(SEALED_PREFIX), keys),
                              outbox_message.c.link.startswith(SEALED_PREFIX))
    _resize(SEALED_WIDTH, PLAIN_WIDTH)
