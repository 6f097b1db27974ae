"""pre-moderation: pending moderation decisions

A decision may be ``pending``: the text waits, hidden, for a moderator to approve or hide it
(the features named in the ``moderation_premoderated`` setting).

Revision ID: 7cdff820b564
Revises: 5b8e2d4f9a13
Create Date: 2026-11-30 17:40:20.949705
"""
import sqlalchemy as sa
from alembic import op

revision = '7cdff820b564'
down_revision = '5b8e2d4f9a13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('moderation_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_moderation_decision_pending'), ['pending'], unique=False)
    with op.batch_alter_table('moderation_decision', schema=None) as batch_op:
        batch_op.alter_column('pending', server_default=None)


def downgrade():
    op.execute("DELETE FROM moderation_decision WHERE pending")
    with op.batch_alter_table('moderation_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_decision_pending'))
        batch_op.drop_column('pending')
