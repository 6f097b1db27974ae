"""Answers to relay reports (sent down by the publishing hub, kept by the commune hub);
the protocol version each peer speaks

Revision ID: c3d9e1f4a7b2
Revises: a5c5b8261d5f
Create Date: 2026-11-30 17:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c3d9e1f4a7b2'
down_revision = 'a5c5b8261d5f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('federation_peer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol', sa.Integer(), nullable=True))
    with op.batch_alter_table('federation_remote_relay', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_status', sa.String(length=20), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('answer_text', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('answer_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('federation_remote_relay', schema=None) as batch_op:
        batch_op.alter_column('answer_status', server_default=None)
        batch_op.alter_column('answer_text', server_default=None)
        batch_op.alter_column('answer_version', server_default=None)
    op.create_table(
        'federation_relay_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('peer_id', sa.Integer(), nullable=False),
        sa.Column('relay_uuid', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('body_name', sa.String(length=200), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['peer_id'], ['federation_peer.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('relay_uuid'),
    )
    with op.batch_alter_table('federation_relay_answer', schema=None) as batch_op:
        batch_op.create_index('ix_federation_relay_answer_peer_id', ['peer_id'], unique=False)
        batch_op.create_index('ix_federation_relay_answer_project_id', ['project_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('federation_relay_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_federation_relay_answer_project_id')
        batch_op.drop_index('ix_federation_relay_answer_peer_id')
    op.drop_table('federation_relay_answer')
    with op.batch_alter_table('federation_remote_relay', schema=None) as batch_op:
        batch_op.drop_column('answer_version')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('answer_text')
        batch_op.drop_column('answer_status')
    with op.batch_alter_table('federation_peer', schema=None) as batch_op:
        batch_op.drop_column('protocol')
