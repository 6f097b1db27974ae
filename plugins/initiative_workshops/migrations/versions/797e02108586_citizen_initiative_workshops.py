"""Citizen initiative workshops: initiatives, their collectives, dossier versions and documents

Revision ID: 797e02108586
Revises:
Create Date: 2026-11-30 11:34:56.841684
"""
import sqlalchemy as sa
from alembic import op

revision = '797e02108586'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('initiative_workshops_initiative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('image_path', sa.String(length=300), nullable=False),
    sa.Column('image_alt', sa.String(length=300), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(), nullable=False),
    sa.Column('members_required', sa.Integer(), nullable=False),
    sa.Column('members_count', sa.Integer(), nullable=False),
    sa.Column('constituted_at', sa.DateTime(), nullable=True),
    sa.Column('facilitator_body_id', sa.Integer(), nullable=True),
    sa.Column('facilitation', sa.String(length=20), nullable=False),
    sa.Column('facilitation_asked_at', sa.DateTime(), nullable=True),
    sa.Column('facilitation_answered_at', sa.DateTime(), nullable=True),
    sa.Column('facilitation_note', sa.Text(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('collection_id', sa.Integer(), nullable=True),
    sa.Column('support_threshold', sa.Integer(), nullable=True),
    sa.Column('support_rule', sa.String(length=40), nullable=False),
    sa.Column('support_population', sa.Integer(), nullable=True),
    sa.Column('support_reached_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_version', sa.Integer(), nullable=True),
    sa.Column('members_at_submission', sa.Integer(), nullable=True),
    sa.Column('support_at_submission', sa.Integer(), nullable=True),
    sa.Column('decision_due', sa.Date(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('overdue_told_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reference', sa.String(length=200), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user.id'], name=op.f('fk_initiative_workshops_initiative_acknowledged_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], name=op.f('fk_initiative_workshops_initiative_answer_id_answer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_initiative_workshops_initiative_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['collection_id'], ['signature_collection.id'], name=op.f('fk_initiative_workshops_initiative_collection_id_signature_collection'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_initiative_workshops_initiative_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facilitator_body_id'], ['body.id'], name=op.f('fk_initiative_workshops_initiative_facilitator_body_id_body'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_initiative_workshops_initiative_project_id_project'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_initiative_workshops_initiative_submitted_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_workshops_initiative')),
    sa.UniqueConstraint('uuid', name=op.f('uq_initiative_workshops_initiative_uuid'))
    )
    with op.batch_alter_table('initiative_workshops_initiative', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_acknowledged_by_id'), ['acknowledged_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_answer_id'), ['answer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_decision_due'), ['decision_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_facilitator_body_id'), ['facilitator_body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_scope'), ['scope'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_submitted_by_id'), ['submitted_by_id'], unique=False)

    op.create_table('initiative_workshops_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['user.id'], name=op.f('fk_initiative_workshops_document_added_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative_workshops_initiative.id'], name=op.f('fk_initiative_workshops_document_initiative_id_initiative_workshops_initiative'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_workshops_document'))
    )
    with op.batch_alter_table('initiative_workshops_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_initiative_workshops_document_added_by_id'), ['added_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_document_initiative_id'), ['initiative_id'], unique=False)

    op.create_table('initiative_workshops_dossier_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('proposal', sa.Text(), nullable=False),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_initiative_workshops_dossier_version_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative_workshops_initiative.id'], name=op.f('fk_initiative_workshops_dossier_version_initiative_id_initiative_workshops_initiative'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_workshops_dossier_version')),
    sa.UniqueConstraint('initiative_id', 'number', name=op.f('uq_initiative_workshops_dossier_version_initiative_id_number'))
    )
    with op.batch_alter_table('initiative_workshops_dossier_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_initiative_workshops_dossier_version_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_dossier_version_initiative_id'), ['initiative_id'], unique=False)

    op.create_table('initiative_workshops_initiative_neighbourhood',
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative_workshops_initiative.id'], name=op.f('fk_initiative_workshops_initiative_neighbourhood_initiative_id_initiative_workshops_initiative'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhood.id'], name=op.f('fk_initiative_workshops_initiative_neighbourhood_neighbourhood_id_neighbourhood'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('initiative_id', 'neighbourhood_id', name=op.f('pk_initiative_workshops_initiative_neighbourhood'))
    )
    with op.batch_alter_table('initiative_workshops_initiative_neighbourhood', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_initiative_workshops_initiative_neighbourhood_neighbourhood_id'), ['neighbourhood_id'], unique=False)

    op.create_table('initiative_workshops_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('initiative_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative_workshops_initiative.id'], name=op.f('fk_initiative_workshops_member_initiative_id_initiative_workshops_initiative'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_initiative_workshops_member_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_workshops_member')),
    sa.UniqueConstraint('initiative_id', 'user_id', name=op.f('uq_initiative_workshops_member_initiative_id_user_id'))
    )
    with op.batch_alter_table('initiative_workshops_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_initiative_workshops_member_initiative_id'), ['initiative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_initiative_workshops_member_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('initiative_workshops_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_member_initiative_id'))

    op.drop_table('initiative_workshops_member')
    with op.batch_alter_table('initiative_workshops_initiative_neighbourhood', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_neighbourhood_neighbourhood_id'))

    op.drop_table('initiative_workshops_initiative_neighbourhood')
    with op.batch_alter_table('initiative_workshops_dossier_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_dossier_version_initiative_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_dossier_version_author_id'))

    op.drop_table('initiative_workshops_dossier_version')
    with op.batch_alter_table('initiative_workshops_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_document_initiative_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_document_added_by_id'))

    op.drop_table('initiative_workshops_document')
    with op.batch_alter_table('initiative_workshops_initiative', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_submitted_by_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_state'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_scope'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_project_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_facilitator_body_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_decision_due'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_decided_by_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_created_at'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_collection_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_author_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_answer_id'))
        batch_op.drop_index(batch_op.f('ix_initiative_workshops_initiative_acknowledged_by_id'))

    op.drop_table('initiative_workshops_initiative')
