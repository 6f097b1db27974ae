"""Contributions: an index for the work queue's "awaiting an answer" per target

Revision ID: b7d2e4f6a8c0
Revises: a3c5e7f9b1d2
Create Date: 2026-12-01 00:20:00
"""
from alembic import op

revision = 'b7d2e4f6a8c0'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_contribution_waiting',
        'contribution',
        ['target_type', 'answer_id', 'target_id', 'created_at', 'status'],
    )


def downgrade():
    op.drop_index('ix_contribution_waiting', table_name='contribution')
