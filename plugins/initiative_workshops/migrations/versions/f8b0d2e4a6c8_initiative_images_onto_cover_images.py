"""Initiative images stored under uploads/ become core cover images; the old columns go

Revision ID: f8b0d2e4a6c8
Revises: d5f7b9c1e3a4
Create Date: 2026-11-30 21:00:00

Each initiative's file (a path under the instance's ``uploads/``) is checked, resized and
stripped of its metadata by the core image service (its text alternative kept, the title when
it had none). The old files stay on disk. A downgrade brings the columns back empty; the
cover images stay.
"""
from alembic import op
import sqlalchemy as sa

from hub.plugin import carry_over_images


revision = 'f8b0d2e4a6c8'
down_revision = 'd5f7b9c1e3a4'
branch_labels = None
depends_on = None


def upgrade():
    carry_over_images(
        'initiative_workshops_initiative', 'image_path', lambda path: path, alt='image_alt'
    )
    with op.batch_alter_table('initiative_workshops_initiative', schema=None) as batch_op:
        batch_op.drop_column('image_path')
        batch_op.drop_column('image_alt')


def downgrade():
    with op.batch_alter_table('initiative_workshops_initiative', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_alt', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('image_path', sa.String(length=300), nullable=False, server_default=''))
