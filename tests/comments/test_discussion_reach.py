"""Which objects take a discussion and who hears of it (issue 17): every type the issue lists
opts in, a project's contributions have their own discussion (linked from each one, closed
with the project's, shut when the contribution is hidden), and the people who answer for an
object are told of new comments (a contribution's author, a project's owner while staff, a
workshop's facilitators)."""

import pytest
from conftest import submit
from factories import add_contribution, make_project, make_territory
from sqlalchemy import select

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    claire = make_user("claire@example.org", verified=True, name="Claire")
    karim = make_user("karim@example.org", verified=True, name="Karim")
    project = make_project(app, owner_id=agent, phase="strategie", published=True)
    contribution = add_contribution(app, project, author_id=claire, text="Un arrêt au marché.")
    return dict(agent=agent, claire=claire, karim=karim, project=project, c=contribution)


def _told(app, user_id) -> list:
    from hub.notifications.models import Notification

    with app.app_context():
        return db.session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        ).all()


def test_every_listed_type_takes_comments(app):
    from hub.registry import registry

    with app.app_context():
        models = {t.model.__name__ for t in registry().types.values() if t.comments}
    # Projects and their contributions, petitions, interpellations, initiatives, workshops,
    # budget proposals.
    assert {
        "Project",
        "Contribution",
        "Petition",
        "Interpellation",
        "Initiative",
        "Workshop",
        "BudgetProject",
    } <= models


def test_a_contribution_is_discussed_on_its_own_page(app, client, auth, world):
    from hub.comments.models import Comment

    project, cid = world["project"], world["c"]
    page = client.get(f"/projects/{project}").get_data(as_text=True)
    link = f"/comments/contribution/{cid}"
    assert link in page and "(0 comments)" in page
    auth.login("karim@example.org")
    response = submit(client, link, {"body": "Oui, *côté* place."})
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.scalar(select(Comment))
        assert (comment.target_type, comment.target_id) == ("contribution", cid)
    assert response.headers["Location"].endswith(f"{link}#comment-{comment.id}")
    thread = client.get(link).get_data(as_text=True)
    assert "<em>côté</em>" in thread and "Un arrêt au marché." in thread
    assert f'href="/projects/{project}#contribution-{cid}"' in thread
    assert "(1 comment)" in client.get(f"/projects/{project}").get_data(as_text=True)
    # The contribution's author is told, with a link that lands on the discussion.
    [told] = _told(app, world["claire"])
    assert told.kind == "comment.posted" and told.url.endswith(f"{link}#comment-{comment.id}")
    # Replying lands back on the discussion too.
    auth.logout()
    auth.login("claire@example.org")
    reply = client.get(f"/comments/{comment.id}/reply").get_data(as_text=True)
    assert f'href="{link}#comment-{comment.id}"' in reply
    response = submit(client, f"/comments/{comment.id}/reply", {"body": "Merci"})
    assert response.status_code == 302 and link in response.headers["Location"]
    # The API reads the same discussion.
    listing = client.get(f"/api/v1/comments?target_type=contribution&target_id={cid}").json
    assert [c["body"] for c in listing["comments"]] == ["Oui, *côté* place.", "Merci"]


def test_the_project_staff_reply_officially_and_close_with_the_project(app, client, auth, world):
    from hub.accounts.models import User
    from hub.comments import services
    from hub.contributions.models import Contribution
    from hub.projects.models import Project

    link = f"/comments/contribution/{world['c']}"
    auth.login("agent@example.org")
    assert 'name="official"' in client.get(link).get_data(as_text=True)
    auth.logout()
    auth.login("karim@example.org")
    assert 'name="official"' not in client.get(link).get_data(as_text=True)
    with app.app_context():
        project = db.session.get(Project, world["project"])
        agent = db.session.get(User, world["agent"])
        services.close(project, agent, "Synthèse en cours.")
        db.session.commit()
        assert "Synthèse en cours." in services.closed_reason(
            db.session.get(Contribution, world["c"])
        )
    response = submit(client, link, {"body": "Encore un mot"})
    assert response.status_code == 422
    assert "Synthèse en cours." in response.get_data(as_text=True)


def test_a_hidden_contribution_shows_no_text_and_takes_no_comment(
    app, client, auth, world, make_user
):
    from hub.accounts.models import User
    from hub.contributions.models import Contribution
    from hub.moderation import services as moderation

    moderator = make_user("mod@example.org", roles=("moderator",))
    with app.test_request_context():
        mod = db.session.get(User, moderator)
        moderation.hide(db.session.get(Contribution, world["c"]), mod, "Données personnelles")
        db.session.commit()
    auth.login("karim@example.org")
    link = f"/comments/contribution/{world['c']}"
    page = client.get(link).get_data(as_text=True)
    assert "Un arrêt au marché." not in page and "hidden by moderation" in page
    assert submit(client, link, {"body": "x"}).status_code == 422


def test_the_project_owner_hears_of_comments_while_staff(app, client, auth, world):
    from hub.accounts.models import User

    auth.login("claire@example.org")
    page = f"/projects/{world['project']}"
    action = f"/comments/project/{world['project']}"
    assert submit(client, page, {"body": "Première"}, action=action).status_code == 302
    [told] = _told(app, world["agent"])
    assert told.kind == "comment.posted" and "Ligne de tram T3" in told.title
    # An owner who left the staff no longer answers for the project: not told.
    with app.app_context():
        agent = db.session.get(User, world["agent"])
        agent.set_roles({"resident"})
        db.session.commit()
    assert submit(client, page, {"body": "Deuxième"}, action=action).status_code == 302
    assert len(_told(app, world["agent"])) == 1
