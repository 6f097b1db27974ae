"""``hub demo --scale metropole`` at a tiny factor: the bulk rows keep the invariants the
services keep (counters equal rows, every foreign key valid, sequences past the ids written),
and the pages of the bulk objects render."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from hub.extensions import db

FACTOR = 0.002


@pytest.fixture
def scaled(app):
    from hub.scale import load_scale

    with app.app_context():
        scale = load_scale(app, "metropole", FACTOR)
    return scale


def test_counts_follow_the_factor(app, scaled):
    from hub.accounts.models import User
    from hub.contributions.models import Contribution
    from hub.projects.models import Project
    from hub.sessions.models import Meeting
    from hub.signatures.models import Signature
    from plugins.petitions.models import Petition

    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(User) == 200
        assert count(Project) == 4
        assert count(Contribution) == 400
        assert count(Meeting) == 40
        assert count(Petition) == 20
        # the petitions' 2,000 and the other plugins' (interpellations, initiatives)
        assert count(Signature) >= 2_000


def test_counters_equal_rows(app, scaled):
    from hub.signatures.services.maintenance import recount
    from plugins.initiative_workshops.models import Initiative, Member

    with app.app_context():
        assert recount(fix=False) == []
        members = dict(
            db.session.execute(
                select(Member.initiative_id, func.count()).group_by(Member.initiative_id)
            ).all()
        )
        initiatives = db.session.execute(select(Initiative.id, Initiative.members_count)).all()
        assert initiatives
        assert {i: n for i, n in initiatives} == {i: members.get(i, 0) for i, _ in initiatives}


def test_every_foreign_key_points_to_a_row(app, scaled):
    """Checked on the metadata, so it holds on both engines (SQLite checks lazily)."""
    broken = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for fk in table.foreign_keys:
                parent = fk.column.table
                column = fk.parent
                orphans = db.session.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(
                        column.is_not(None),
                        ~select(parent.c[fk.column.name])
                        .where(parent.c[fk.column.name] == column)
                        .exists(),
                    )
                )
                if orphans:
                    broken.append(f"{table.name}.{column.name}: {orphans}")
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    assert broken == []


def test_new_rows_get_fresh_ids_after_the_bulk_load(app, scaled):
    """PostgreSQL's sequences were moved past the explicit ids: the services still insert."""
    from hub.accounts.services import create_user

    with app.app_context():
        user = create_user("new@example.org", None, "New")
        db.session.commit()
        assert user.id > max(scaled.user_ids)


def test_pages_of_bulk_objects_render(app, scaled):
    from plugins.petitions.models import Petition

    with app.app_context():
        petition = db.session.scalar(
            select(Petition).where(Petition.status == "open").order_by(Petition.id)
        )
        project_id = scaled.open_project_ids[0]
        body_id = scaled.body_ids[0]
        scaled_meeting = db.session.scalar(
            select(func.max(text("id"))).select_from(text("meeting"))
        )
    client = app.test_client()
    for url in (
        "/",
        f"/petitions/{petition.id}",
        "/petitions/",
        f"/projects/{project_id}",
        f"/bodies/{body_id}",
        "/agenda",
        "/projects",
        f"/sessions/{scaled_meeting}",
        "/interpellations/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_demo_command_refuses_scale_with_the_metropole_variant():
    from click.testing import CliRunner

    from hub.cli import make_cli

    result = CliRunner().invoke(make_cli(), ["demo", "--metropole", "--scale", "metropole"])
    assert result.exit_code != 0
    assert "--scale builds on the commune demo" in result.output
