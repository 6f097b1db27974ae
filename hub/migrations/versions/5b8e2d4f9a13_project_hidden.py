"""Projects set aside on this hub (hidden copies of another hub's projects)

Revision ID: 5b8e2d4f9a13
Revises: 3f0a1c7e5b92
Create Date: 2026-11-30 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5b8e2d4f9a13'
down_revision = '3f0a1c7e5b92'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.create_index('ix_project_hidden_at', ['hidden_at'], unique=False)
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.alter_column('hidden_reason', server_default=None)


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_hidden_at')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
