"""Holds of the core's pre-moderation still pending on interpellations their admissibility review had already declared inadmissible: settled as the review
does now (``moderation.settle``: hidden, no longer pending, no moderation reason), so that no
moderator can approve, that is publish, a text its review refused. Before the reviews settled
holds, such a text stayed in the moderation queue. Every other row is kept as it is.

Revision ID: b2e6f8d0c4a3
Revises: 3916a10e2d0d
Create Date: 2026-12-01 08:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b2e6f8d0c4a3"
down_revision = "3916a10e2d0d"
branch_labels = None
depends_on = None


def upgrade():
    op.get_bind().execute(
        sa.text(
            "UPDATE moderation_decision SET pending = :no, hidden = :yes, reason = '', "
            "moderator_id = NULL "
            "WHERE pending = :yes AND target_type = 'interpellation' AND target_id IN "
            "(SELECT id FROM interpellation_interpellation WHERE stage = 'inadmissible')"
        ),
        {"yes": True, "no": False},
    )


def downgrade():
    # Which holds were pending is not recorded: they stay settled (a refused text stays
    # unpublished either way).
    pass
