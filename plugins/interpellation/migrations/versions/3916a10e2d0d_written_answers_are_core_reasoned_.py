"""written answers are core reasoned answers

The text and author of each interpellation's written answer move to the core ``answer``
table (target ``interpellation``, outcome kept); the interpellation keeps ``answer_id``,
``answered_at`` and ``answered_on``.

Revision ID: 3916a10e2d0d
Revises: 56220d43b1de
Create Date: 2026-11-30 13:57:16.200529
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '3916a10e2d0d'
down_revision = '56220d43b1de'
branch_labels = None
depends_on = None

TABLE = 'interpellation_interpellation'
TARGET = 'interpellation'


def upgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_interpellation_interpellation_answer_id'), ['answer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_interpellation_interpellation_answer_id_answer'), 'answer', ['answer_id'], ['id'], ondelete='SET NULL')

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        f"SELECT id, answer, answered_by_id, answered_at, created_at, outcome FROM {TABLE} "
        "WHERE answer <> '' ORDER BY id")).all()
    for ident, text, author_id, answered_at, created_at, outcome in rows:
        key = str(uuid.uuid4())
        bind.execute(sa.text(
            "INSERT INTO answer (uuid, target_type, target_id, text, outcome, author_id, "
            "created_at) VALUES (:uuid, :type, :tid, :text, :outcome, :author, :created)"),
            {"uuid": key, "type": TARGET, "tid": ident, "text": text, "outcome": outcome or '',
             "author": author_id, "created": answered_at or created_at})
        answer_id = bind.execute(sa.text("SELECT id FROM answer WHERE uuid = :uuid"),
                                 {"uuid": key}).scalar_one()
        bind.execute(sa.text(f"UPDATE {TABLE} SET answer_id = :a WHERE id = :i"),
                     {"a": answer_id, "i": ident})

    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interpellation_interpellation_answered_by_id'))
        batch_op.drop_constraint(batch_op.f('fk_interpellation_interpellation_answered_by_id_user'), type_='foreignkey')
        batch_op.drop_column('answer')
        batch_op.drop_column('answered_by_id')


def downgrade():
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_by_id', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('answer', sa.TEXT(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_interpellation_interpellation_answered_by_id_user'), 'user', ['answered_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_interpellation_interpellation_answered_by_id'), ['answered_by_id'], unique=False)

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        f"SELECT i.id, a.text, a.author_id FROM {TABLE} i JOIN answer a ON a.id = i.answer_id")).all()
    for ident, text, author_id in rows:
        bind.execute(sa.text(
            f"UPDATE {TABLE} SET answer = :text, answered_by_id = :author WHERE id = :i"),
            {"text": text, "author": author_id, "i": ident})
    bind.execute(sa.text("DELETE FROM answer WHERE target_type = :type"), {"type": TARGET})

    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column('answer', server_default=None)
        batch_op.drop_constraint(batch_op.f('fk_interpellation_interpellation_answer_id_answer'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_interpellation_interpellation_answer_id'))
        batch_op.drop_column('answer_id')
