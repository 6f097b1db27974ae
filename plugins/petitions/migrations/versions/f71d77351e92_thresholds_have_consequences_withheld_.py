"""thresholds have consequences; withheld refused texts

An official answer no longer closes a petition: rows stored as ``answered`` (their
signatures were closed by the answer) become ``closed``, the answer staying linked. Each
threshold reached gets its deadline (``answer_due_on``, ``debate_due_on``, from the day it
fired and the settings in force) and a debate its council session. Petitions refused for
personal data or defamation keep their text from the public (``text_withheld``) until it is
purged (``text_purged_at``).

Revision ID: f71d77351e92
Revises: 29632b0d25a5
Create Date: 2026-11-30 17:06:53.048195
"""
import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = 'f71d77351e92'
down_revision = '29632b0d25a5'
branch_labels = None
depends_on = None

TABLE = 'petitions_petition'
WITHHELD = ("Contenu injurieux, diffamatoire ou discriminatoire", "Données personnelles d'un tiers")
DUE = (("official_answer", "answer_due_on", "petitions_answer_days", 60),
       ("council_debate", "debate_due_on", "petitions_debate_days", 120))


def _setting(bind, key, default):
    raw = bind.execute(sa.text("SELECT value FROM site_setting WHERE key = :k"), {"k": key}).scalar()
    if raw is None:
        return default
    return json.loads(raw) if isinstance(raw, str) else raw


def _day(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def upgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('debate_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('debate_session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('debated_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('debate_minutes_url', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('text_withheld', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('text_purged_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_petitions_petition_answer_due_on'), ['answer_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_petition_debate_due_on'), ['debate_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_petition_debate_session_id'), ['debate_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_petition_text_withheld'), ['text_withheld'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_petitions_petition_debate_session_id_meeting'), 'meeting', ['debate_session_id'], ['id'], ondelete='SET NULL')

    bind = op.get_bind()
    bind.execute(sa.text(f"UPDATE {TABLE} SET status = 'closed' WHERE status = 'answered'"))
    withheld = _setting(bind, "petitions_withheld_reasons", list(WITHHELD))
    for reason in withheld:
        bind.execute(
            sa.text(f"UPDATE {TABLE} SET text_withheld = :yes WHERE status = 'rejected' "
                    "AND rejection_reason = :reason"), {"yes": True, "reason": reason})
    for action, column, key, default in DUE:
        days = int(_setting(bind, key, default))
        rows = bind.execute(sa.text(
            f"SELECT p.id, t.fired_at FROM {TABLE} p JOIN signature_threshold t "
            "ON t.collection_id = p.collection_id WHERE t.action = :action "
            "AND t.fired_at IS NOT NULL"), {"action": action}).all()
        for ident, fired_at in rows:
            due = _day(fired_at) + timedelta(days=days)
            bind.execute(sa.text(f"UPDATE {TABLE} SET {column} = :due WHERE id = :i"),
                         {"due": due, "i": ident})

    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column('debate_minutes_url', server_default=None)
        batch_op.alter_column('text_withheld', server_default=None)


def downgrade():
    bind = op.get_bind()
    bind.execute(sa.text(f"UPDATE {TABLE} SET status = 'answered' WHERE answer_id IS NOT NULL "
                         "AND status IN ('open', 'closed')"))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_petitions_petition_debate_session_id_meeting'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_petitions_petition_text_withheld'))
        batch_op.drop_index(batch_op.f('ix_petitions_petition_debate_session_id'))
        batch_op.drop_index(batch_op.f('ix_petitions_petition_debate_due_on'))
        batch_op.drop_index(batch_op.f('ix_petitions_petition_answer_due_on'))
        batch_op.drop_column('text_purged_at')
        batch_op.drop_column('text_withheld')
        batch_op.drop_column('debate_minutes_url')
        batch_op.drop_column('debated_on')
        batch_op.drop_column('debate_session_id')
        batch_op.drop_column('debate_due_on')
        batch_op.drop_column('answer_due_on')
