"""example_note table

Revision ID: e1a000000001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "e1a000000001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "example_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_example_note_user_id_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_note")),
    )
    with op.batch_alter_table("example_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_example_note_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("example_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_example_note_user_id"))
    op.drop_table("example_note")
