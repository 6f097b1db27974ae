"""A petition's public rejection reason as long as the forms that fill it: a moderator's
public reason (up to 1,000 characters) becomes the reason of a petition refused in
pre-moderation, which a 200-character column refused on PostgreSQL.

Revision ID: c4e8a1f0b7d2
Revises: f71d77351e92
Create Date: 2026-12-01 06:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c4e8a1f0b7d2"
down_revision = "f71d77351e92"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("petitions_petition", schema=None) as batch_op:
        batch_op.alter_column(
            "rejection_reason", existing_type=sa.String(length=200), type_=sa.Text()
        )


def downgrade():
    with op.batch_alter_table("petitions_petition", schema=None) as batch_op:
        batch_op.alter_column(
            "rejection_reason", existing_type=sa.Text(), type_=sa.String(length=200)
        )
