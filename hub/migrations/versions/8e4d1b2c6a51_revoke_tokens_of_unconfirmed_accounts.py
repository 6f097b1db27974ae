"""Accounts: revoke the API tokens of accounts whose address is not confirmed

Revision ID: 8e4d1b2c6a51
Revises: 7d3c2f1a9b40
Create Date: 2026-11-30 15:00:00

Such tokens can no longer be made (issue 11, item 3: whoever registered someone else's address
kept acting for them through a token); the ones made before are revoked here, and the API
refuses any that would remain.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '8e4d1b2c6a51'
down_revision = '7d3c2f1a9b40'
branch_labels = None
depends_on = None


def upgrade():
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    tokens = sa.table('api_token', sa.column('user_id'), sa.column('revoked_at'))
    users = sa.table('user', sa.column('id'), sa.column('email_confirmed_at'))
    unconfirmed = sa.select(users.c.id).where(users.c.email_confirmed_at.is_(None))
    op.get_bind().execute(
        tokens.update()
        .where(tokens.c.revoked_at.is_(None), tokens.c.user_id.in_(unconfirmed))
        .values(revoked_at=now)
    )


def downgrade():
    pass  # a revoked token stays revoked
