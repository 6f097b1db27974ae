"""Draws by lot: the seed's canonical form fixed at announcement (format, count, as entered)

Revision ID: 8d2e4f6a1b37
Revises: 8d2e4c6a1f37
Create Date: 2026-11-30 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '8d2e4f6a1b37'
down_revision = '8d2e4c6a1f37'
branch_labels = None
depends_on = None


def upgrade():
    # Existing draws keep the seed as it was entered (format ''): their results stand.
    with op.batch_alter_table('body_draw', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seed_format', sa.String(length=40), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('seed_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seed_as_entered', sa.String(length=500), nullable=True))
    with op.batch_alter_table('body_draw', schema=None) as batch_op:
        batch_op.alter_column('seed_format', server_default=None)


def downgrade():
    with op.batch_alter_table('body_draw', schema=None) as batch_op:
        batch_op.drop_column('seed_as_entered')
        batch_op.drop_column('seed_count')
        batch_op.drop_column('seed_format')
