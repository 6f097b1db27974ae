"""Holds of the core's pre-moderation still pending on petitions its admissibility review had already rejected: settled as the review
does now (``moderation.settle``: hidden, no longer pending, no moderation reason), so that no
moderator can approve, that is publish, a text its review refused. Before the reviews settled
holds, such a text stayed in the moderation queue. Every other row is kept as it is.

Revision ID: a1d5e7c9b3f2
Revises: d5b2e7a9c3f1
Create Date: 2026-12-01 08:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a1d5e7c9b3f2"
down_revision = "d5b2e7a9c3f1"
branch_labels = None
depends_on = None


def upgrade():
    op.get_bind().execute(
        sa.text(
            "UPDATE moderation_decision SET pending = :no, hidden = :yes, reason = '', "
            "moderator_id = NULL "
            "WHERE pending = :yes AND target_type = 'petition' AND target_id IN "
            "(SELECT id FROM petitions_petition WHERE status = 'rejected')"
        ),
        {"yes": True, "no": False},
    )


def downgrade():
    # Which holds were pending is not recorded: they stay settled (a refused text stays
    # unpublished either way).
    pass
