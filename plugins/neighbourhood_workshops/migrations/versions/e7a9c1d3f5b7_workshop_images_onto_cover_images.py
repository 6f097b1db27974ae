"""Workshop images stored by the plugin become core cover images; the old columns go

Revision ID: e7a9c1d3f5b7
Revises: c4e6a8b0d2f3
Create Date: 2026-11-30 21:00:00

Each workshop's file under ``uploads/neighbourhood_workshops/`` is checked, resized and
stripped of its metadata by the core image service (its text alternative kept, the title when
it had none). The old files stay on disk, no longer served: remove the folder once upgraded.
A downgrade brings the columns back empty; the cover images stay.
"""
from alembic import op
import sqlalchemy as sa

from hub.plugin import carry_over_images


revision = 'e7a9c1d3f5b7'
down_revision = 'c4e6a8b0d2f3'
branch_labels = None
depends_on = None


def upgrade():
    carry_over_images(
        'neighbourhood_workshops_workshop',
        'image_file',
        lambda name: f'neighbourhood_workshops/{name}',
        alt='image_alt',
    )
    with op.batch_alter_table('neighbourhood_workshops_workshop', schema=None) as batch_op:
        batch_op.drop_column('image_file')
        batch_op.drop_column('image_alt')


def downgrade():
    with op.batch_alter_table('neighbourhood_workshops_workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_alt', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('image_file', sa.String(length=200), nullable=False, server_default=''))
