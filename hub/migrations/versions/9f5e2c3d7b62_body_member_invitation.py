"""Bodies: linking an account to a membership waits for the account owner's consent

Revision ID: 9f5e2c3d7b62
Revises: 8e4d1b2c6a51
Create Date: 2026-11-30 15:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '9f5e2c3d7b62'
down_revision = '8e4d1b2c6a51'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('body_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_body_member_invited_user_id'), ['invited_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_body_member_invited_user_id_user'), 'user', ['invited_user_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('body_member', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_body_member_invited_user_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_body_member_invited_user_id'))
        batch_op.drop_column('invited_user_id')
