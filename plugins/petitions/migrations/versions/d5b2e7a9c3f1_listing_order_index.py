"""The public listing's order as an index: ``coalesce(published_at, created_at)``, the id
that breaks ties and the status the listing filters on, so its first page reads the newest
entries in index order instead of sorting every public petition.

Revision ID: d5b2e7a9c3f1
Revises: c4e8a1f0b7d2
Create Date: 2026-12-01 08:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d5b2e7a9c3f1"
down_revision = "c4e8a1f0b7d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_petitions_petition_listing",
        "petitions_petition",
        [sa.text("coalesce(published_at, created_at)"), "id", "status"],
    )


def downgrade():
    op.drop_index("ix_petitions_petition_listing", table_name="petitions_petition")
