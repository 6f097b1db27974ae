"""OParl export: what was published, with digests and tombstones

Revision ID: 3f0a1c7e5b92
Revises: a3f5c7e9b2d4
Create Date: 2026-11-30 17:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '3f0a1c7e5b92'
down_revision = 'a3f5c7e9b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'oparl_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('modified_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'key', name='uq_oparl_entry_kind_key'),
    )
    op.create_index('ix_oparl_entry_kind_modified', 'oparl_entry', ['kind', 'modified_at'])


def downgrade():
    op.drop_index('ix_oparl_entry_kind_modified', table_name='oparl_entry')
    op.drop_table('oparl_entry')
