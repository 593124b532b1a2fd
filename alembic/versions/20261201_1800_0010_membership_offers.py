"""membership offers: a role at a setting offered to someone who already has an account, theirs once they accept it

Revision ID: 0010_membership_offers
Revises: 0009_outbox_link_sealed
Create Date: 2026-12-01 18:00:00

An LA inviting an email that already has an account no longer adds the membership there and then: the person is
emailed a one-time link (account_token purpose "membership") and accepts the offer, signed in as themselves.
"""
import sqlalchemy as sa
import sqlmodel

import service.db
from alembic import op


revision = '0010_membership_offers'
down_revision = '0009_outbox_link_sealed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'membership_offer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('urn', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('offered_by', sa.Integer(), nullable=True),
        sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', service.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_membership_offer_user_id_user_account')),
        sa.ForeignKeyConstraint(['offered_by'], ['user_account.id'], name=op.f('fk_membership_offer_offered_by_user_account')),
        sa.ForeignKeyConstraint(['token_id'], ['account_token.id'], name=op.f('fk_membership_offer_token_id_account_token')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_offer')),
        sa.UniqueConstraint('token_id', name=op.f('uq_membership_offer_token_id')),
    )
    with op.batch_alter_table('membership_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_offer_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('membership_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_offer_user_id'))
    op.drop_table('membership_offer')
    op.execute("DELETE FROM account_token WHERE purpose = 'membership'")
    # Their emails too: the earlier code neither knows the template nor could open the sealed link.
    op.execute("DELETE FROM outbox_message WHERE template = 'membership_offer'")
