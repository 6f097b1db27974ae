"""Residence: link the online verifications made before census claims to their census entry

Revision ID: a3f5c7e9b2d4
Revises: 8d2e4f6a1b37
Create Date: 2026-11-30 17:10:00

Verifications made before revision 7d3c2f1a9b40 claimed no census entry, so each of those
entries could verify one more account (issue 11, item 1). The self-check stored the census
birth date and, when the account had none, the full name as "first last": an account whose
full name and birth date give exactly one entry of the current list claims it here. Those that
cannot be determined (another full name, no list, a list hashed with another key) are handled
when someone else matches their entry (``services._legacy_holder``: an agent reviews). An
entry already claimed again since the upgrade puts that later account on the desk for review.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op
from flask import current_app

from hub.residence.services import candidate_keys, key_hash

revision = 'a3f5c7e9b2d4'
down_revision = '8d2e4f6a1b37'
branch_labels = None
depends_on = None


def upgrade():
    key = current_app.config["CENSUS_KEY"]
    conn = op.get_bind()
    imports = sa.table('census_import', sa.column('id'), sa.column('salt'), sa.column('key_id'))
    entries = sa.table('census_entry', sa.column('import_id'), sa.column('key_hash'))
    claims = sa.table(
        'census_claim', sa.column('claim_hash'), sa.column('user_id'), sa.column('created_at')
    )
    users = sa.table(
        'user',
        sa.column('id'),
        sa.column('full_name'),
        sa.column('birth_date', sa.Date),
        sa.column('residence_method'),
        sa.column('residence_verified_at'),
        sa.column('deleted_at'),
    )
    census = conn.execute(
        sa.select(imports.c.id, imports.c.salt, imports.c.key_id)
        .order_by(imports.c.id.desc())
        .limit(1)
    ).first()
    if census is None or census.key_id != key_hash(key, "hub.census-key-id")[:16]:
        return

    def stored(matching):
        inner = key_hash(census.salt, matching) if census.salt else matching
        return key_hash(key, inner)

    legacy = conn.execute(
        sa.select(users.c.id, users.c.full_name, users.c.birth_date).where(
            users.c.residence_method == 'census',
            users.c.residence_verified_at.is_not(None),
            users.c.deleted_at.is_(None),
            users.c.birth_date.is_not(None),
            users.c.id.not_in(sa.select(claims.c.user_id)),
        )
    ).all()
    reviews = sa.table(
        'residence_review',
        sa.column('user_id'),
        sa.column('other_user_id'),
        sa.column('created_at'),
        sa.column('outcome'),
    )
    taken = dict(conn.execute(sa.select(claims.c.claim_hash, claims.c.user_id)).all())
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for user_id, full_name, birth in legacy:
        keys = {stored(k): k for k in candidate_keys(full_name or "", birth)}
        if not keys:
            continue
        found = conn.scalars(
            sa.select(entries.c.key_hash).where(
                entries.c.import_id == census.id, entries.c.key_hash.in_(list(keys))
            )
        ).all()
        if len(set(found)) != 1:
            continue  # no entry, or several: undetermined
        digest = key_hash(key, "claim|" + keys[found[0]])
        if digest in taken:
            # Used again since the upgrade: the later account goes to the desk for review.
            conn.execute(
                reviews.insert().values(
                    user_id=taken[digest], other_user_id=user_id, created_at=now, outcome=''
                )
            )
            continue
        conn.execute(claims.insert().values(claim_hash=digest, user_id=user_id, created_at=now))
        taken[digest] = user_id


def downgrade():
    pass  # the claims stay: they are what the entries verified
