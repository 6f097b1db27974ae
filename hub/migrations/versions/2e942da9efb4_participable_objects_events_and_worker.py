"""Participable objects, domain events and the worker.

Sessions attach to any registered object (target, organiser) instead of a project and a
body; contributions, reasoned answers and follows become core services keyed by
``(target_type, target_id)``; projects, relays, bodies and sessions get a stable UUID; the
event outbox and the worker's job table appear; queued mail can be marked failed.

Every existing row is carried over with its id (so links and exports keep working), and
the downgrade carries them back.

Revision ID: 2e942da9efb4
Revises: 31c3a61f9f4e
Create Date: 2026-11-30 10:22:40.356471
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '2e942da9efb4'
down_revision = '31c3a61f9f4e'
branch_labels = None
depends_on = None


def _fill_uuids(table: str) -> None:
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text(f'SELECT id FROM "{table}" WHERE uuid IS NULL'))]
    for ident in ids:
        bind.execute(sa.text(f'UPDATE "{table}" SET uuid = :u WHERE id = :i'),
                     {"u": str(uuid.uuid4()), "i": ident})


def _add_uuid(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('uuid', sa.String(length=36), nullable=True))
    _fill_uuids(table)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column('uuid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_uuid'), ['uuid'])


def _drop_uuid(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f'uq_{table}_uuid'), type_='unique')
        batch_op.drop_column('uuid')


def _reset_sequence(table: str) -> None:
    """After rows were copied with their ids, PostgreSQL's sequence must move past them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"))


def upgrade():
    op.create_table('event_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('target_uuid', sa.String(length=36), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('processed_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_outbox'))
    )
    with op.batch_alter_table('event_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_outbox_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_outbox_processed_at'), ['processed_at'], unique=False)

    op.create_table('worker_job',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('next_run_at', sa.DateTime(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('last_result', sa.Text(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_job'))
    )
    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_answer_author_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('uuid', name=op.f('uq_answer_uuid'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_answer_target', ['target_type', 'target_id'], unique=False)

    op.create_table('follow',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_follow_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'target_type', 'target_id', name=op.f('pk_follow'))
    )
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.create_index('ix_follow_target', ['target_type', 'target_id'], unique=False)

    op.create_table('contribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('source_type', sa.String(length=60), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_contribution_answer_id_answer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_contribution_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_contribution_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhood.id'], name=op.f('fk_contribution_neighbourhood_id_neighbourhood'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution')),
    sa.UniqueConstraint('uuid', name=op.f('uq_contribution_uuid'))
    )
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contribution_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_entered_by_id'), ['entered_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_neighbourhood_id'), ['neighbourhood_id'], unique=False)
        batch_op.create_index('ix_contribution_source', ['source_type', 'source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_status'), ['status'], unique=False)
        batch_op.create_index('ix_contribution_target', ['target_type', 'target_id'], unique=False)

    # Reasoned answers, contributions and follows move to the core services, ids kept.
    bind = op.get_bind()
    for ident, project_id, text, author_id, created_at in bind.execute(sa.text(
            "SELECT id, project_id, text, author_id, created_at FROM project_answer")).all():
        bind.execute(sa.text(
            "INSERT INTO answer (id, uuid, target_type, target_id, text, outcome, author_id, "
            "created_at) VALUES (:id, :uuid, 'project', :tid, :text, '', :author, :created)"),
            {"id": ident, "uuid": str(uuid.uuid4()), "tid": project_id, "text": text,
             "author": author_id, "created": created_at})
    op.execute(sa.text(
        "UPDATE answer SET outcome = COALESCE((SELECT MIN(c.status) FROM project_contribution c "
        "WHERE c.answer_id = answer.id), '')"))
    _reset_sequence("answer")
    columns = ("id, project_id, author_id, author_name, channel, relay_id, entered_by_id, "
               "neighbourhood_id, text, created_at, status, status_changed_at, answer_id, "
               "answered_at")
    for row in bind.execute(sa.text(f"SELECT {columns} FROM project_contribution")).mappings():
        values = dict(row)
        values["uuid"] = str(uuid.uuid4())
        values["source_type"] = "relay" if values["relay_id"] is not None else ""
        bind.execute(sa.text(
            "INSERT INTO contribution (id, uuid, target_type, target_id, source_type, "
            "source_id, channel, author_id, author_name, entered_by_id, neighbourhood_id, "
            "text, created_at, status, status_changed_at, answer_id, answered_at) VALUES "
            "(:id, :uuid, 'project', :project_id, :source_type, :relay_id, :channel, "
            ":author_id, :author_name, :entered_by_id, :neighbourhood_id, :text, :created_at, "
            ":status, :status_changed_at, :answer_id, :answered_at)"), values)
    _reset_sequence("contribution")
    op.execute(sa.text(
        "INSERT INTO follow (user_id, target_type, target_id, created_at) "
        "SELECT user_id, 'project', project_id, created_at FROM project_follow"))

    with op.batch_alter_table('project_follow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_follow_user_id'))
    op.drop_table('project_follow')
    with op.batch_alter_table('project_contribution', schema=None) as batch_op:
        for column in ('answer_id', 'author_id', 'channel', 'entered_by_id', 'neighbourhood_id',
                       'project_id', 'relay_id', 'status'):
            batch_op.drop_index(batch_op.f(f'ix_project_contribution_{column}'))
    op.drop_table('project_contribution')
    with op.batch_alter_table('project_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_answer_project_id'))
    op.drop_table('project_answer')

    for table in ('body', 'project', 'project_relay'):
        _add_uuid(table)

    # Sessions: a target and an organiser instead of a project, a body, a kind and a context.
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_type', sa.String(length=60), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('target_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organiser_type', sa.String(length=60), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('organiser_id', sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE meeting SET target_type = context_type, target_id = context_id"))
    op.execute(sa.text("UPDATE meeting SET target_type = 'project', target_id = project_id "
                       "WHERE target_type = '' AND project_id IS NOT NULL"))
    op.execute(sa.text("UPDATE meeting SET organiser_type = 'body', organiser_id = body_id "
                       "WHERE body_id IS NOT NULL"))
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.alter_column('target_type', server_default=None)
        batch_op.alter_column('organiser_type', server_default=None)
        batch_op.drop_index(batch_op.f('ix_meeting_body_id'))
        batch_op.drop_index('ix_meeting_context')
        batch_op.drop_index(batch_op.f('ix_meeting_kind'))
        batch_op.drop_index(batch_op.f('ix_meeting_project_id'))
        batch_op.create_index('ix_meeting_organiser', ['organiser_type', 'organiser_id'],
                              unique=False)
        batch_op.create_index('ix_meeting_target', ['target_type', 'target_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_meeting_body_id_body'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meeting_project_id_project'), type_='foreignkey')
        batch_op.drop_column('kind')
        batch_op.drop_column('context_id')
        batch_op.drop_column('body_id')
        batch_op.drop_column('project_id')
        batch_op.drop_column('context_type')
    _add_uuid('meeting')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('failed_at')

    _drop_uuid('meeting')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('context_type', sa.String(length=40), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('body_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('context_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=30), nullable=False,
                                      server_default='other'))
    op.execute(sa.text("UPDATE meeting SET context_type = target_type, context_id = target_id"))
    op.execute(sa.text("UPDATE meeting SET kind = 'relay', project_id = (SELECT r.project_id "
                       "FROM project_relay r WHERE r.id = meeting.target_id) "
                       "WHERE target_type = 'relay'"))
    op.execute(sa.text("UPDATE meeting SET body_id = organiser_id WHERE organiser_type = 'body'"))
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.alter_column('context_type', server_default=None)
        batch_op.alter_column('kind', server_default=None)
        batch_op.create_foreign_key(batch_op.f('fk_meeting_project_id_project'), 'project',
                                    ['project_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_meeting_body_id_body'), 'body', ['body_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.drop_index('ix_meeting_target')
        batch_op.drop_index('ix_meeting_organiser')
        batch_op.create_index(batch_op.f('ix_meeting_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_meeting_context', ['context_type', 'context_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_body_id'), ['body_id'], unique=False)
        batch_op.drop_column('organiser_id')
        batch_op.drop_column('organiser_type')
        batch_op.drop_column('target_id')
        batch_op.drop_column('target_type')

    for table in ('project_relay', 'project', 'body'):
        _drop_uuid(table)

    op.create_table('project_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_project_answer_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_answer_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_answer'))
    )
    with op.batch_alter_table('project_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_answer_project_id'), ['project_id'], unique=False)
    op.create_table('project_contribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('relay_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['project_answer.id'], name=op.f('fk_project_contribution_answer_id_project_answer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_project_contribution_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_project_contribution_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhood.id'], name=op.f('fk_project_contribution_neighbourhood_id_neighbourhood'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_contribution_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['relay_id'], ['project_relay.id'], name=op.f('fk_project_contribution_relay_id_project_relay'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_contribution'))
    )
    with op.batch_alter_table('project_contribution', schema=None) as batch_op:
        for column in ('status', 'relay_id', 'project_id', 'neighbourhood_id', 'entered_by_id',
                       'channel', 'author_id', 'answer_id'):
            batch_op.create_index(batch_op.f(f'ix_project_contribution_{column}'), [column],
                                  unique=False)
    op.create_table('project_follow',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_follow_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_project_follow_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_project_follow'))
    )
    with op.batch_alter_table('project_follow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_follow_user_id'), ['user_id'], unique=False)

    op.execute(sa.text(
        "INSERT INTO project_answer (id, project_id, text, author_id, created_at) "
        "SELECT id, target_id, text, author_id, created_at FROM answer "
        "WHERE target_type = 'project'"))
    _reset_sequence("project_answer")
    op.execute(sa.text(
        "INSERT INTO project_contribution (id, project_id, author_id, author_name, channel, "
        "relay_id, entered_by_id, neighbourhood_id, text, created_at, status, "
        "status_changed_at, answer_id, answered_at) "
        "SELECT id, target_id, author_id, author_name, channel, "
        "CASE WHEN source_type = 'relay' THEN source_id END, entered_by_id, neighbourhood_id, "
        "text, created_at, status, status_changed_at, answer_id, answered_at "
        "FROM contribution WHERE target_type = 'project'"))
    _reset_sequence("project_contribution")
    op.execute(sa.text(
        "INSERT INTO project_follow (project_id, user_id, created_at) "
        "SELECT target_id, user_id, created_at FROM follow WHERE target_type = 'project'"))

    with op.batch_alter_table('contribution', schema=None) as batch_op:
        for name in ('ix_contribution_target', 'ix_contribution_source'):
            batch_op.drop_index(name)
        for column in ('status', 'neighbourhood_id', 'entered_by_id', 'channel', 'author_id',
                       'answer_id'):
            batch_op.drop_index(batch_op.f(f'ix_contribution_{column}'))
    op.drop_table('contribution')
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_target')
    op.drop_table('follow')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_target')
        batch_op.drop_index(batch_op.f('ix_answer_author_id'))
    op.drop_table('answer')
    op.drop_table('worker_job')
    with op.batch_alter_table('event_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_outbox_processed_at'))
        batch_op.drop_index(batch_op.f('ix_event_outbox_name'))
    op.drop_table('event_outbox')
