"""Sessions: cancellation reason and structured minutes

Revision ID: 31c3a61f9f4e
Revises: 229d454c5ce0
Create Date: 2026-11-23 18:53:52.598747
"""
import sqlalchemy as sa
from alembic import op

revision = '31c3a61f9f4e'
down_revision = '229d454c5ce0'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get empty texts; the server default is dropped afterwards so the schema
    # matches the models (which set the default in Python).
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes_objectives', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('minutes_method', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('minutes_next_agenda', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('minutes_published_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        for name in ('minutes_objectives', 'minutes_method', 'minutes_next_agenda',
                     'cancel_reason'):
            batch_op.alter_column(name, server_default=None)


def downgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('minutes_published_at')
        batch_op.drop_column('minutes_next_agenda')
        batch_op.drop_column('minutes_method')
        batch_op.drop_column('minutes_objectives')
