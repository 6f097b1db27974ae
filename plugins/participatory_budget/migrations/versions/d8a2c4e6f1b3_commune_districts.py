"""Commune districts: an envelope for one commune inside a métropole (``commune_id``), beside
the neighbourhood and whole-territory ones. Existing districts keep an empty commune.

Revision ID: d8a2c4e6f1b3
Revises: c3f7a9e1d5b4
Create Date: 2026-12-01 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d8a2c4e6f1b3"
down_revision = "c3f7a9e1d5b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participatory_budget_district", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commune_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_participatory_budget_district_commune_id"), ["commune_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_participatory_budget_district_commune_id_commune"),
            "commune",
            ["commune_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("participatory_budget_district", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_participatory_budget_district_commune_id_commune"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_participatory_budget_district_commune_id"))
        batch_op.drop_column("commune_id")
