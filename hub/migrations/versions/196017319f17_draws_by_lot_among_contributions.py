"""draws by lot among contributions

A draw among the contributions of any registered object: its frozen public register, the
announced seed rule, then the seed and the result (``lot_draw``).

Revision ID: 196017319f17
Revises: 7cdff820b564
Create Date: 2026-11-30 17:58:13.974142
"""
import sqlalchemy as sa
from alembic import op


revision = '196017319f17'
down_revision = '7cdff820b564'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lot_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('register_sha256', sa.String(length=64), nullable=False),
    sa.Column('seed_source', sa.Text(), nullable=False),
    sa.Column('seed_count', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=False),
    sa.Column('announced_at', sa.DateTime(), nullable=False),
    sa.Column('announced_by_id', sa.Integer(), nullable=True),
    sa.Column('seed', sa.String(length=500), nullable=True),
    sa.Column('seed_as_entered', sa.String(length=500), nullable=True),
    sa.Column('selected', sa.JSON(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(), nullable=True),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['announced_by_id'], ['user.id'], name=op.f('fk_lot_draw_announced_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['user.id'], name=op.f('fk_lot_draw_drawn_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_draw')),
    )
    with op.batch_alter_table('lot_draw', schema=None) as batch_op:
        batch_op.create_index('ix_lot_draw_target', ['target_type', 'target_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lot_draw', schema=None) as batch_op:
        batch_op.drop_index('ix_lot_draw_target')

    op.drop_table('lot_draw')
