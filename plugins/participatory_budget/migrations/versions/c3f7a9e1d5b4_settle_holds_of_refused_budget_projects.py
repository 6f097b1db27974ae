"""Holds of the core's pre-moderation still pending on budget projects their feasibility review had already refused (or that were merged away): settled as the review
does now (``moderation.settle``: hidden, no longer pending, no moderation reason), so that no
moderator can approve, that is publish, a text its review refused. Before the reviews settled
holds, such a text stayed in the moderation queue. Every other row is kept as it is.

Revision ID: c3f7a9e1d5b4
Revises: e3b5d7f9a1c2
Create Date: 2026-12-01 08:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c3f7a9e1d5b4"
down_revision = "e3b5d7f9a1c2"
branch_labels = None
depends_on = None


def upgrade():
    op.get_bind().execute(
        sa.text(
            "UPDATE moderation_decision SET pending = :no, hidden = :yes, reason = '', "
            "moderator_id = NULL "
            "WHERE pending = :yes AND target_type = 'participatory_budget_project' AND target_id IN "
            "(SELECT id FROM participatory_budget_project WHERE status IN ('unfeasible', 'out_of_scope', 'incompatible', 'merged'))"
        ),
        {"yes": True, "no": False},
    )


def downgrade():
    # Which holds were pending is not recorded: they stay settled (a refused text stays
    # unpublished either way).
    pass
