"""Residence: census hashes keyed with the census key (outside the database), one census entry
per account (claims), second claims reviewed by an agent

Revision ID: 7d3c2f1a9b40
Revises: d41c7e2a9b10
Create Date: 2026-11-30 14:30:00

Existing census lists cannot be re-hashed (the names are not kept), so their salted hashes are
wrapped: ``HMAC(census_key, HMAC(salt, key))``. The salt left in the database is then useless
without the census key (docs/security.md, "Census list"). Verifications made before this
revision claimed no entry: they stay valid, and their entries can verify one more account.
"""
import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = '7d3c2f1a9b40'
down_revision = 'd41c7e2a9b10'
branch_labels = None
depends_on = None


def _hmac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def upgrade():
    with op.batch_alter_table('census_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('census_import', schema=None) as batch_op:
        batch_op.alter_column('key_id', server_default=None)

    op.create_table('census_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_census_claim_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_census_claim')),
    sa.UniqueConstraint('claim_hash', name=op.f('uq_census_claim_claim_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_census_claim_user_id'))
    )
    op.create_table('residence_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('other_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['other_user_id'], ['user.id'], name=op.f('fk_residence_review_other_user_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_residence_review_resolved_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_residence_review_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residence_review'))
    )
    with op.batch_alter_table('residence_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_residence_review_user_id'), ['user_id'], unique=False)

    # Re-key the lists already imported: wrap each salted hash with the census key.
    key = current_app.config["CENSUS_KEY"]
    key_id = _hmac(key, "hub.census-key-id")[:16]
    conn = op.get_bind()
    imports = sa.table('census_import', sa.column('id'), sa.column('key_id'))
    entries = sa.table('census_entry', sa.column('id'), sa.column('key_hash'))
    rows = conn.execute(sa.select(entries.c.id, entries.c.key_hash)).all()
    for row_id, old in rows:
        conn.execute(
            entries.update().where(entries.c.id == row_id).values(key_hash=_hmac(key, old))
        )
    conn.execute(imports.update().values(key_id=key_id))


def downgrade():
    # The wrapped hashes cannot be unwrapped: the lists must be imported again.
    op.execute("DELETE FROM census_entry")
    op.execute("DELETE FROM census_import")
    with op.batch_alter_table('residence_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_residence_review_user_id'))
    op.drop_table('residence_review')
    op.drop_table('census_claim')
    with op.batch_alter_table('census_import', schema=None) as batch_op:
        batch_op.drop_column('key_id')
