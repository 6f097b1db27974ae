"""Territory: the population of each neighbourhood (thresholds as a share of its residents)

Revision ID: 5b1f0c3a9d21
Revises: f6da640cad08
Create Date: 2026-11-30 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5b1f0c3a9d21'
down_revision = 'f6da640cad08'
branch_labels = None
depends_on = None


def upgrade():
    # Existing neighbourhoods get 0 (unknown); the server default is dropped afterwards so the
    # schema matches the model (which sets the default in Python).
    with op.batch_alter_table('neighbourhood', schema=None) as batch_op:
        batch_op.add_column(sa.Column('population', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('neighbourhood', schema=None) as batch_op:
        batch_op.alter_column('population', server_default=None)


def downgrade():
    with op.batch_alter_table('neighbourhood', schema=None) as batch_op:
        batch_op.drop_column('population')
