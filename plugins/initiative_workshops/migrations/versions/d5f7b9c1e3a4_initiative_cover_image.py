"""An initiative's cover image (the core's image table)

Revision ID: d5f7b9c1e3a4
Revises: 797e02108586
Create Date: 2026-11-30 18:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd5f7b9c1e3a4'
down_revision = '797e02108586'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('initiative_workshops_initiative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_image_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_cover_image_id'), ['cover_image_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_initiative_workshops_initiative_cover_image_id_image'), 'image', ['cover_image_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('initiative_workshops_initiative', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_initiative_workshops_initiative_cover_image_id_image'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_cover_image_id'))
        batch_op.drop_column('cover_image_id')
