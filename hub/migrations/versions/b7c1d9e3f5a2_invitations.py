"""Invitations: one table for every place an account is asked to take (a body's membership,
a workshop's facilitation), replacing ``body_member.invited_user_id``

Revision ID: b7c1d9e3f5a2
Revises: 196017319f17
Create Date: 2026-11-30 17:50:00

Waiting body invitations are carried over (and back on downgrade).
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = 'b7c1d9e3f5a2'
down_revision = '196017319f17'
branch_labels = None
depends_on = None

members = sa.table(
    'body_member', sa.column('id'), sa.column('body_id'), sa.column('invited_user_id')
)


def upgrade():
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=60), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_invitation_invited_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_invitation_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('target_type', 'target_id', 'role', 'ref_id', 'user_id', name='uq_invitation_place')
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_target', ['target_type', 'target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_user_id'), ['user_id'], unique=False)

    conn = op.get_bind()
    invitations = sa.table(
        'invitation', sa.column('target_type'), sa.column('target_id'), sa.column('role'),
        sa.column('ref_id'), sa.column('user_id'), sa.column('created_at'),
    )
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = conn.execute(
        sa.select(members.c.id, members.c.body_id, members.c.invited_user_id).where(
            members.c.invited_user_id.is_not(None)
        )
    ).all()
    for member_id, body_id, user_id in rows:
        conn.execute(invitations.insert().values(
            target_type='body', target_id=body_id, role='member', ref_id=member_id,
            user_id=user_id, created_at=now,
        ))

    with op.batch_alter_table('body_member', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_body_member_invited_user_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_body_member_invited_user_id'))
        batch_op.drop_column('invited_user_id')


def downgrade():
    with op.batch_alter_table('body_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_body_member_invited_user_id'), ['invited_user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_body_member_invited_user_id_user'), 'user', ['invited_user_id'], ['id'], ondelete='SET NULL')
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT ref_id, user_id FROM invitation WHERE target_type = 'body' AND role = 'member'"
    )).all()
    for member_id, user_id in rows:
        conn.execute(members.update().where(members.c.id == member_id).values(invited_user_id=user_id))
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_user_id'))
        batch_op.drop_index('ix_invitation_target')
    op.drop_table('invitation')
