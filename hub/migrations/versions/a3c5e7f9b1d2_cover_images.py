"""Cover images: the image table, and the project's cover image

Revision ID: a3c5e7f9b1d2
Revises: b7c1d9e3f5a2
Create Date: 2026-11-30 17:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a3c5e7f9b1d2'
down_revision = 'b7c1d9e3f5a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('widths', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_image_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image')),
    sa.UniqueConstraint('token', name=op.f('uq_image_token'))
    )
    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_created_by_id'), ['created_by_id'], unique=False)

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_image_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_project_cover_image_id'), ['cover_image_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_project_cover_image_id_image'), 'image', ['cover_image_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_project_cover_image_id_image'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_project_cover_image_id'))
        batch_op.drop_column('cover_image_id')

    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_created_by_id'))

    op.drop_table('image')
