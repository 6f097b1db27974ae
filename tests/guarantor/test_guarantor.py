"""The independent guarantor: appointed by the admin, reads the audit log without personal
data and the moderation decisions, publishes opinions answered by the commune, flags hidden
texts for review; everything public."""

import pytest
from conftest import csrf_from, submit
from factories import make_project, make_territory
from sqlalchemy import select

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    return dict(
        agent=agent,
        garant=make_user("garant@example.org", roles=("guarantor",), name="Hélène Garant"),
        admin=make_user("admin@example.org", roles=("admin",)),
        claire=make_user("claire@example.org", verified=True, name="Claire Martin"),
        project=make_project(app, owner_id=agent, phase="strategie", published=True),
    )


def test_admin_appoints_a_guarantor(app, client, auth, world, make_user):
    target = make_user("future@example.org", name="Futur garant")
    auth.login("admin@example.org")
    page = client.get(f"/admin/users/{target}").get_data(as_text=True)
    assert "Independent guarantor (tiers garant)" in page


def test_opinion_answered_by_the_commune_and_public(app, client, auth, world):
    auth.login("garant@example.org")
    url = f"/projects/{world['project']}"
    page = client.get(url).get_data(as_text=True)
    assert "Independent guarantor" in page
    response = submit(
        client,
        url,
        {"kind": "opinion", "text": "Le calendrier laisse trop peu de temps aux relais."},
        action=f"/guarantor/opinions/project/{world['project']}",
    )
    assert response.status_code == 302
    auth.logout()
    # Residents may not publish as the guarantor.
    auth.login("claire@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "Le calendrier laisse trop peu de temps" in page
    response = client.post(
        f"/guarantor/opinions/project/{world['project']}",
        data={"csrf_token": csrf_from(page), "kind": "opinion", "text": "x"},
    )
    assert response.status_code == 403
    auth.logout()
    from hub.guarantor.models import Opinion

    with app.app_context():
        opinion = db.session.scalar(select(Opinion))
    # The commune answers; everyone sees the answer, on the object and the guarantor's page.
    auth.login("agent@example.org")
    response = submit(
        client,
        url,
        {"answer": "Nous prolongeons la phase de participation de trois semaines."},
        action=f"/guarantor/opinions/{opinion.id}/answer",
    )
    assert response.status_code == 302
    auth.logout()
    page = client.get(url).get_data(as_text=True)
    assert "Nous prolongeons la phase" in page
    index = client.get("/guarantor").get_data(as_text=True)
    assert "Hélène Garant" in index and "answered" in index


def test_reads_audit_without_personal_data_and_moderation(app, client, auth, world):
    from hub.db import write_transaction
    from hub.events import emit
    from hub.projects.models import Project

    with app.test_request_context():
        from hub.accounts.models import User

        with write_transaction():
            emit(
                "project.phase_changed",
                db.session.get(Project, world["project"]),
                actor=db.session.get(User, world["claire"]),
            )
    auth.login("garant@example.org")
    page = client.get("/guarantor/audit").get_data(as_text=True)
    assert "project.phase_changed" in page and "resident" in page
    assert "Claire Martin" not in page and "claire@example.org" not in page
    assert client.get("/moderation/decisions").status_code == 200
    # Read only: no moderation queue, no administration.
    assert client.get("/moderation").status_code == 403
    assert client.get("/admin/").status_code == 403
    auth.logout()
    auth.login("claire@example.org")
    assert client.get("/guarantor/audit").status_code == 403


def test_flags_a_hidden_text_for_review(app, client, auth, world, make_user):
    from hub.comments.models import Comment
    from hub.db import write_transaction
    from hub.moderation import services as moderation

    make_user("mod@example.org", roles=("moderator",))
    with app.test_request_context():
        from hub.accounts.models import find_user_by_email

        comment = Comment(
            target_type="project",
            target_id=world["project"],
            author_id=world["claire"],
            body="Un avis tranché",
        )
        db.session.add(comment)
        db.session.commit()
        with write_transaction():
            moderation.hide(comment, find_user_by_email("mod@example.org"), "Hors sujet")
        comment_id = comment.id
    auth.login("garant@example.org")
    page = client.get("/moderation/decisions").get_data(as_text=True)
    assert "Flag for review" in page
    response = client.post(
        f"/guarantor/opinions/comment/{comment_id}",
        data={"csrf_token": csrf_from(page), "kind": "flag", "text": "Le motif paraît faible."},
    )
    assert response.status_code == 302
    auth.logout()
    # Moderators are told; the flag is public.
    from hub.notifications.models import Notification

    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind)).all()
    assert "guarantor.flag" in kinds
    assert "Flag for review" in client.get("/guarantor").get_data(as_text=True)
