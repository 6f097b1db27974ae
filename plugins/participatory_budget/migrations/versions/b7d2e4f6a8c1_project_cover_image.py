"""A budget project's cover image (the core's image table)

Revision ID: b7d2e4f6a8c1
Revises: 6fc132969969
Create Date: 2026-11-30 18:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d2e4f6a8c1'
down_revision = '6fc132969969'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participatory_budget_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_image_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_participatory_budget_project_cover_image_id'), ['cover_image_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_participatory_budget_project_cover_image_id_image'), 'image', ['cover_image_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('participatory_budget_project', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_participatory_budget_project_cover_image_id_image'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_participatory_budget_project_cover_image_id'))
        batch_op.drop_column('cover_image_id')
