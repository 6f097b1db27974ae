"""Supports pre-selection (counted per project) and co-signers of projects

Revision ID: c4e1a9d3f7b2
Revises: b7d2e4f6a8c1
Create Date: 2026-11-30 20:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e1a9d3f7b2'
down_revision = 'b7d2e4f6a8c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participatory_budget_campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supports_top', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('supports_threshold', sa.Integer(), nullable=True))
    with op.batch_alter_table('participatory_budget_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supports', sa.Integer(), server_default='0', nullable=False))

    op.create_table('participatory_budget_support',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['participatory_budget_campaign.id'], name=op.f('fk_participatory_budget_support_campaign_id_participatory_budget_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['participatory_budget_project.id'], name=op.f('fk_participatory_budget_support_project_id_participatory_budget_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_participatory_budget_support_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_participatory_budget_support'))
    )
    with op.batch_alter_table('participatory_budget_support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participatory_budget_support_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participatory_budget_support_user_id'), ['user_id'], unique=False)

    op.create_table('participatory_budget_cosigner',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['participatory_budget_project.id'], name=op.f('fk_participatory_budget_cosigner_project_id_participatory_budget_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_participatory_budget_cosigner_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_participatory_budget_cosigner'))
    )
    with op.batch_alter_table('participatory_budget_cosigner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participatory_budget_cosigner_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('participatory_budget_cosigner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participatory_budget_cosigner_user_id'))
    op.drop_table('participatory_budget_cosigner')
    with op.batch_alter_table('participatory_budget_support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participatory_budget_support_user_id'))
        batch_op.drop_index(batch_op.f('ix_participatory_budget_support_campaign_id'))
    op.drop_table('participatory_budget_support')
    with op.batch_alter_table('participatory_budget_project', schema=None) as batch_op:
        batch_op.drop_column('supports')
    with op.batch_alter_table('participatory_budget_campaign', schema=None) as batch_op:
        batch_op.drop_column('supports_threshold')
        batch_op.drop_column('supports_top')
