"""Notifications: preferences per topic and channel, digests, email headers

Revision ID: d41c7e2a9b10
Revises: efd194580c92
Create Date: 2026-11-30 14:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd41c7e2a9b10'
down_revision = 'efd194580c92'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_preference',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=60), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_notification_preference_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'topic', name=op.f('pk_notification_preference')),
    )
    op.create_table(
        'digest_sent',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_digest_sent_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'kind', 'period', name=op.f('pk_digest_sent')),
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest', sa.String(length=10), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('sent_in_digest_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_digest'), ['digest'], unique=False)
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('digest', server_default=None)
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('headers')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_digest'))
        batch_op.drop_column('sent_in_digest_at')
        batch_op.drop_column('digest')
    op.drop_table('digest_sent')
    op.drop_table('notification_preference')
