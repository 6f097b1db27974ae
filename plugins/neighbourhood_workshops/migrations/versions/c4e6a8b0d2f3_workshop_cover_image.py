"""A workshop's cover image (the core's image table)

Revision ID: c4e6a8b0d2f3
Revises: 8cd018fcb345
Create Date: 2026-11-30 18:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e6a8b0d2f3'
down_revision = '8cd018fcb345'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('neighbourhood_workshops_workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_image_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_neighbourhood_workshops_workshop_cover_image_id'), ['cover_image_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_neighbourhood_workshops_workshop_cover_image_id_image'), 'image', ['cover_image_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('neighbourhood_workshops_workshop', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_neighbourhood_workshops_workshop_cover_image_id_image'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_neighbourhood_workshops_workshop_cover_image_id'))
        batch_op.drop_column('cover_image_id')
