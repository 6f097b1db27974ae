"""No page's SQL count grows with the data: every GET route of the authorisation matrix is
walked as a verified resident and as an admin on the demo, then again after each listed
object got more rows (contributions, comments, followers, members, sessions, projects,
bodies). A count that grew is a query per row (N+1): load what the page shows in the list's
query (``selectinload``) or in one aggregate query."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import CONTRAT, add_contribution, make_body, make_project, make_session
from query_count import measure

from hub.extensions import db

pytestmark = pytest.mark.security

PERSONAS = ("verified", "admin")

# Pages whose count still grows with the rows, with what was measured; this list only shrinks.
GROWS: dict[str, str] = {
    # Its lists are read in one statement (ListSection); the agenda section reads its
    # sessions' neighbourhoods (one selectin, constant) once a session falls in its window.
    "territory.neighbourhood": "12 -> 13 with 3 more sessions (was 27 -> 29)",
}


def grow(app, world) -> None:
    """Three more of every row a page lists, on the objects the rules point to."""
    from sqlalchemy import func, select

    from hub.accounts.services import create_user
    from hub.bodies.models import BodyMember
    from hub.comments.models import Comment
    from hub.contributions.models import Contribution
    from hub.follows.models import Follow
    from hub.territory.models import Neighbourhood

    with app.app_context():
        quarters = db.session.scalars(select(Neighbourhood.id).order_by(Neighbourhood.id)).all()
        users = []
        for n in range(3):
            user = create_user(
                f"croissance{n}@ormeval.example",
                "demo-password",
                f"Habitant {n}",
                confirmed=True,
                verified_resident=True,
            )
            user.neighbourhood_id = quarters[n % len(quarters)]
            users.append(user)
        db.session.commit()
        user_ids = [u.id for u in users]
        busiest = db.session.scalar(
            select(Contribution.target_id)
            .where(Contribution.target_type == "project")
            .group_by(Contribution.target_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    projects = {world.project_id, busiest}
    for project_id in projects:
        for n, user_id in enumerate(user_ids):
            add_contribution(app, project_id, author_id=user_id, text=f"Idée de plus {n}")
        make_session(
            app,
            title="Réunion de plus",
            target=("project", project_id),
            organiser=("body", world.body_id),
            neighbourhood_ids=quarters[:2],
        )
    with app.app_context():
        for project_id in projects:
            for n, user_id in enumerate(user_ids):
                db.session.add(
                    Comment(
                        target_type="project",
                        target_id=project_id,
                        author_id=user_id,
                        body=f"Commentaire de plus {n}",
                    )
                )
                db.session.add(Follow(user_id=user_id, target_type="project", target_id=project_id))
        for user_id in user_ids:
            db.session.add(
                BodyMember(
                    body_id=world.body_id,
                    user_id=user_id,
                    name="Membre de plus",
                    role="member",
                    mandate_start=date.today() - timedelta(days=10),
                    mandate_end=date.today() + timedelta(days=300),
                )
            )
        db.session.commit()
    for n in range(3):
        make_project(
            app,
            title=f"Projet de plus {n}",
            phase="strategie",
            published=True,
            neighbourhood_ids=quarters[:2],
        )
        make_body(app, name=f"Instance de plus {n}", neighbourhood_ids=quarters[:2])
    assert CONTRAT  # the published projects carry a full participation contract


def test_no_page_runs_more_queries_on_more_rows(demo_app, world):
    before = {persona: measure(demo_app, world, persona) for persona in PERSONAS}
    grow(demo_app, world)
    grew = []
    for persona in PERSONAS:
        after = measure(demo_app, world, persona)
        for url, (endpoint, status, queries, _s) in sorted(after.items()):
            if url not in before[persona]:
                continue
            _e, old_status, old_queries, _o = before[persona][url]
            if status == old_status and queries > old_queries and endpoint not in GROWS:
                grew.append(f"  {persona}: {url} [{endpoint}] {old_queries} -> {queries} queries")
    assert not grew, "pages whose SQL count grew with the data (N+1):\n" + "\n".join(grew)
