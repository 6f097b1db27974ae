"""Projects: where a project published by another hub comes from (origin hub, UUID, name)

Revision ID: 8d2e4c6a1f37
Revises: 9f5e2c3d7b62
Create Date: 2026-11-30 14:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '8d2e4c6a1f37'
down_revision = '9f5e2c3d7b62'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_hub', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('origin_uuid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('origin_name', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.create_unique_constraint(batch_op.f('uq_project_origin_hub_origin_uuid'),
                                          ['origin_hub', 'origin_uuid'])
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.alter_column('origin_name', server_default=None)


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_project_origin_hub_origin_uuid'), type_='unique')
        batch_op.drop_column('origin_name')
        batch_op.drop_column('origin_uuid')
        batch_op.drop_column('origin_hub')
