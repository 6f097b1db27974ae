"""Comments and moderation on the plugins' objects (issue 17): petitions, interpellations,
initiatives, workshops and budget projects opt in through the registry; comments close with
each object's phase; pre-moderation is one core setting naming the features whose residents'
texts wait for a moderator."""

import sys
from pathlib import Path

import pytest
from conftest import submit
from factories import confirm, make_project, make_territory
from sqlalchemy import select

from hub.extensions import db

sys.path.insert(0, str(Path(__file__).parent.parent / "petitions"))
from petition_helpers import configure, open_petition


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def test_every_listed_type_opts_in(app):
    with app.app_context():
        types = app.extensions["hub"].registry.types
        for name in (
            "petition",
            "interpellation",
            "initiative_workshops",
            "neighbourhood_workshops_workshop",
            "participatory_budget_project",
        ):
            assert types[name].comments, name
        for name in (
            "petition",
            "interpellation",
            "initiative_workshops",
            "participatory_budget_project",
        ):
            assert types[name].moderation, name


def test_petition_discussion_report_and_hide(app, client, auth, make_user):
    configure(app)
    make_user("ana@example.org", verified=True, name="Ana")
    make_user("ben@example.org", verified=True, name="Ben")
    make_user("mod@example.org", roles=("moderator",))
    petition_id = open_petition(app, "ana@example.org", title="Des arbres place du Marché")
    auth.login("ben@example.org")
    url = f"/petitions/{petition_id}"
    page = client.get(url).get_data(as_text=True)
    assert f"/comments/petition/{petition_id}" in page
    posted = submit(
        client,
        url,
        {"body": "Je soutiens, la place est une fournaise."},
        action=f"/comments/petition/{petition_id}",
    )
    assert posted.status_code == 302
    assert "une fournaise" in client.get(url).get_data(as_text=True)
    # The petition itself can be reported by another resident, and hidden with a reason.
    assert f"/report/petition/{petition_id}" in client.get(url).get_data(as_text=True)
    reported = submit(client, f"/report/petition/{petition_id}", {"reason": "defamation"})
    assert reported.status_code == 302
    auth.logout()
    auth.login("mod@example.org")
    hidden = confirm(
        client,
        submit(
            client,
            "/moderation",
            {"reason": "Met en cause un commerçant"},
            action=f"/moderation/petition/{petition_id}/hide",
        ),
    )
    assert hidden.status_code == 302
    auth.logout()
    page = client.get(url).get_data(as_text=True)
    assert "Met en cause un commerçant" in page and "trottoirs" not in page


def test_comments_close_with_the_petition(app, client, auth, make_user):
    from plugins.petitions import services
    from plugins.petitions.models import Petition

    configure(app)
    make_user("ana@example.org", verified=True)
    make_user("ben@example.org", verified=True)
    petition_id = open_petition(app, "ana@example.org")
    with app.test_request_context():
        from hub.db import write_transaction

        with write_transaction():
            row = db.session.get(Petition, petition_id)
            services.answer(row, row.author, "Une réponse motivée, avec ses raisons. " * 2)
            services.close_expired(now=row.deadline)
    auth.login("ben@example.org")
    response = submit(
        client,
        f"/petitions/{petition_id}",
        {"body": "Trop tard ?"},
        action=f"/comments/petition/{petition_id}",
    )
    assert response.status_code == 422
    assert "closed and answered" in response.get_data(as_text=True)


def test_premoderation_holds_comments_until_a_moderator_approves(app, client, auth, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    make_user("claire@example.org", verified=True, name="Claire")
    make_user("karim@example.org", verified=True, name="Karim")
    make_user("mod@example.org", roles=("moderator",))
    admin = make_user("admin@example.org", roles=("admin",))
    project = make_project(app, owner_id=agent, phase="strategie", published=True)
    assert admin
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["comment"])
        db.session.commit()
    url = f"/projects/{project}"
    auth.login("claire@example.org")
    posted = submit(
        client,
        url,
        {"body": "Un texte à relire avant publication."},
        action=f"/comments/project/{project}",
    )
    assert posted.status_code == 302
    auth.logout()
    page = client.get(url).get_data(as_text=True)
    assert "Un texte à relire" not in page and "Waiting for moderation" in page
    auth.login("mod@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Waiting for approval" in queue and "Un texte à relire" in queue
    from hub.comments.models import Comment

    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id))
    approved = submit(client, "/moderation", {}, action=f"/moderation/comment/{comment_id}/approve")
    assert approved.status_code == 302
    assert "Nothing waits for approval." in client.get("/moderation").get_data(as_text=True)
    auth.logout()
    assert "Un texte à relire" in client.get(url).get_data(as_text=True)
    from hub.notifications.models import Notification

    with app.app_context():
        kinds = set(db.session.scalars(select(Notification.kind)))
    assert "moderation.approved" in kinds
    # Not pre-moderated any more: shown at once.
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", [])
        db.session.commit()
    auth.login("karim@example.org")
    submit(client, url, {"body": "Publié aussitôt."}, action=f"/comments/project/{project}")
    auth.logout()
    assert "Publié aussitôt." in client.get(url).get_data(as_text=True)


def test_premoderation_by_plugin_name(app, make_user):
    """The setting names a plugin: its resident texts wait (petitions here)."""
    from hub.moderation import services as moderation

    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["petitions"])
        db.session.commit()
        from plugins.petitions.models import Petition

        row = Petition(title="t", body="b", addressee="mayor", status="open")
        db.session.add(row)
        db.session.flush()
        assert moderation.premoderated(row)
        decision = moderation.hold(row)
        assert decision.pending and moderation.hidden(row) is decision
        db.session.rollback()
