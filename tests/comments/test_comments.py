"""Discussions on registered objects: comments, one level of replies, the edit window,
official replies, closing per object and per phase, notifications, rate limits, the API."""

from datetime import timedelta

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
    claire = make_user("claire@example.org", verified=True, name="Claire")
    karim = make_user("karim@example.org", verified=True, name="Karim")
    paul = make_user("paul@example.org", confirmed=False, name="Paul")
    project_id = make_project(app, owner_id=agent, phase="strategie", published=True)
    return dict(agent=agent, claire=claire, karim=karim, paul=paul, project=project_id)


def _comment(client, project_id, body, **extra):
    page = f"/projects/{project_id}"
    return submit(
        client,
        page,
        {"body": body, **extra},
        action=f"/comments/project/{project_id}",
    )


def _comments(app):
    from hub.comments.models import Comment

    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id)).all()


def _token(app, user_id):
    from hub.accounts.models import ApiToken, User

    with app.app_context():
        _row, clear = ApiToken.issue(db.session.get(User, user_id), "test")
        db.session.commit()
        return clear


def test_resident_comments_another_replies_and_the_page_shows_both(app, client, auth, world):
    project = world["project"]
    auth.login("claire@example.org")
    response = _comment(client, project, "Pensez aux *vélos* cargo.")
    assert response.status_code == 302
    [first] = _comments(app)
    assert response.headers["Location"].endswith(f"/projects/{project}#comment-{first.id}")
    auth.logout()
    auth.login("karim@example.org")
    reply_page = f"/comments/{first.id}/reply"
    response = submit(client, reply_page, {"body": "D'accord, et des arceaux."})
    assert response.status_code == 302
    # A reply to a reply joins the first level: one level only.
    second = _comments(app)[1]
    response = submit(client, f"/comments/{second.id}/reply", {"body": "Et un abri ?"})
    assert response.status_code == 302
    rows = _comments(app)
    assert [c.parent_id for c in rows] == [None, first.id, first.id]
    html = client.get(f"/projects/{project}").get_data(as_text=True)
    assert "<em>vélos</em>" in html and "et des arceaux." in html, html[html.find("Discussion") :]
    assert "Discussion" in html and "(3)" in html
    # Claire is told of the reply (in the hub and by email); Karim is not told of his own.
    from hub.notifications.models import Notification

    with app.app_context():
        kinds = db.session.execute(select(Notification.user_id, Notification.title)).all()
    assert any(uid == world["claire"] and "reply" in title for uid, title in kinds)
    assert not any(uid == world["karim"] for uid, _title in kinds)


def test_followers_are_told_of_new_comments(app, client, auth, world):
    from hub.follows.services import set_following
    from hub.notifications.models import Notification
    from hub.projects.models import Project

    with app.app_context():
        project = db.session.get(Project, world["project"])
        from hub.accounts.models import User

        set_following(db.session.get(User, world["karim"]), project, True)
        db.session.commit()
    auth.login("claire@example.org")
    assert _comment(client, world["project"], "Une idée").status_code == 302
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == world["karim"])
        ).all()
    assert [r.kind for r in rows] == ["comment.posted"]
    assert rows[0].url.endswith(f"#comment-{_comments(app)[0].id}")


def test_markdown_is_sanitised(app, client, auth, world):
    auth.login("claire@example.org")
    hostile = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    assert _comment(client, world["project"], hostile).status_code == 302
    html = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_too_long_and_unconfirmed_are_refused(app, client, auth, world):
    auth.login("claire@example.org")
    response = _comment(client, world["project"], "   ")
    assert response.status_code == 422
    assert "The comment is empty." in response.get_data(as_text=True)
    response = _comment(client, world["project"], "x" * 4001)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "At most 4000 characters." in body and "x" * 4001 in body  # input kept
    auth.logout()
    auth.login("paul@example.org")
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "Confirm your email address to take part in the discussion." in page
    response = client.post(
        f"/comments/project/{world['project']}",
        data={"csrf_token": csrf_from(page), "body": "Bonjour"},
    )
    assert response.status_code == 403
    assert _comments(app) == []


def test_anonymous_visitors_read_but_must_log_in(app, client, world):
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "Log in to take part in the discussion." in page
    response = client.post(
        f"/comments/project/{world['project']}",
        data={"csrf_token": csrf_from(client.get("/login").get_data(True)), "body": "Bonjour"},
    )
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_edit_window(app, client, auth, world, make_user):
    auth.login("claire@example.org")
    _comment(client, world["project"], "Premier jet")
    [comment] = _comments(app)
    response = submit(client, f"/comments/{comment.id}/edit", {"body": "Version revue"})
    assert response.status_code == 302
    [comment] = _comments(app)
    assert comment.body == "Version revue" and comment.edited_at is not None
    # Someone else may not change it.
    auth.logout()
    auth.login("karim@example.org")
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    auth.logout()
    # After the window, not even its author.
    from hub.comments.models import Comment

    with app.app_context():
        row = db.session.get(Comment, comment.id)
        row.created_at = row.created_at - timedelta(minutes=16)
        db.session.commit()
    auth.login("claire@example.org")
    assert client.get(f"/comments/{comment.id}/edit").status_code == 422
    assert "Change my comment" not in client.get(f"/projects/{world['project']}").get_data(True)


def test_official_replies_are_marked_and_staff_only(app, client, auth, world):
    auth.login("claire@example.org")
    # A resident's "official" box is ignored: the form does not even offer it.
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "Official reply of the commune" not in page
    _comment(client, world["project"], "Question", official="y")
    assert [c.official for c in _comments(app)] == [False]
    auth.logout()
    auth.login("agent@example.org")
    first = _comments(app)[0]
    response = submit(
        client,
        f"/comments/{first.id}/reply",
        {"body": "Réponse de la ville", "official": "y"},
    )
    assert response.status_code == 302
    assert [c.official for c in _comments(app)] == [False, True]
    html = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert html.count("Official reply</strong>") == 1


def test_discussion_closed_by_phase_and_by_staff(app, client, auth, world):
    draft = make_project(app, owner_id=world["agent"], title="Brouillon")
    auth.login("claire@example.org")
    page = client.get(f"/projects/{draft}").get_data(as_text=True)
    assert "The discussion opens once the participation contract is published." in page
    # Each reason is a sentence of its own, never announced as a closing it is not.
    assert "The discussion is closed" not in page
    response = client.post(
        f"/comments/project/{draft}",
        data={"csrf_token": csrf_from(page), "body": "Trop tôt"},
    )
    assert response.status_code == 422
    auth.logout()
    auth.login("karim@example.org")
    # A resident cannot close a discussion.
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    response = client.post(
        f"/comments/project/{world['project']}/close",
        data={"csrf_token": csrf_from(page), "reason": "Non"},
    )
    assert response.status_code == 403
    auth.logout()
    auth.login("agent@example.org")
    response = submit(
        client,
        f"/projects/{world['project']}",
        {"reason": "Synthèse en cours"},
        action=f"/comments/project/{world['project']}/close",
    )
    assert response.status_code == 302
    auth.logout()
    auth.login("claire@example.org")
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "The discussion is closed: Synthèse en cours" in page
    assert page.count("The discussion is closed") == 1
    assert "Publish my comment" not in page
    response = client.post(
        f"/comments/project/{world['project']}",
        data={"csrf_token": csrf_from(page), "body": "Encore un mot"},
    )
    assert response.status_code == 422
    auth.logout()
    auth.login("agent@example.org")
    response = submit(
        client,
        f"/projects/{world['project']}",
        {},
        action=f"/comments/project/{world['project']}/reopen",
    )
    assert response.status_code == 302
    auth.logout()
    auth.login("claire@example.org")
    assert _comment(client, world["project"], "Encore un mot").status_code == 302


def test_rate_limit_across_pages_and_api(app, client, auth, world):
    auth.login("claire@example.org")
    for n in range(5):
        assert _comment(client, world["project"], f"Idée {n}").status_code == 302
    response = _comment(client, world["project"], "Une de trop")
    assert response.status_code == 429
    assert "Une de trop" in response.get_data(as_text=True)
    token = _token(app, world["claire"])
    response = client.post(
        "/api/v1/comments",
        json={"target_type": "project", "target_id": world["project"], "body": "API"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 429
    assert len(_comments(app)) == 5


def test_htmx_post_swaps_the_discussion(app, client, auth, world):
    auth.login("claire@example.org")
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    response = client.post(
        f"/comments/project/{world['project']}",
        data={"csrf_token": csrf_from(page), "body": "En place"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "En place" in html
    assert "Your comment is published." in html


def test_api_reads_and_posts(app, client, world):
    token = _token(app, world["claire"])
    headers = {"Authorization": f"Bearer {token}"}
    target = {"target_type": "project", "target_id": world["project"]}
    response = client.post("/api/v1/comments", json={**target, "body": "Par l'API"})
    assert response.status_code == 401
    response = client.post(
        "/api/v1/comments", json={**target, "body": "Par l'API"}, headers=headers
    )
    assert response.status_code == 201
    created = response.json
    assert created["body"] == "Par l'API" and created["official"] is False
    for body in ("", "   ", "x" * 4001, None):
        response = client.post("/api/v1/comments", json={**target, "body": body}, headers=headers)
        assert response.status_code == 422, body
    response = client.post(
        "/api/v1/comments",
        json={**target, "body": "Réponse", "parent_id": created["id"]},
        headers=headers,
    )
    assert response.status_code == 201 and response.json["parent_id"] == created["id"]
    listing = client.get(f"/api/v1/comments?target_type=project&target_id={world['project']}")
    assert listing.status_code == 200
    assert [c["body"] for c in listing.json["comments"]] == ["Par l'API", "Réponse"]
    # Types that take no comments, and unknown objects: 404.
    assert client.get("/api/v1/comments?target_type=body&target_id=1").status_code == 404
    assert client.get("/api/v1/comments?target_type=project&target_id=999").status_code == 404
    response = client.post(
        "/api/v1/comments",
        json={"target_type": "project", "target_id": "1", "body": "x"},
        headers=headers,
    )
    assert response.status_code == 404


def test_types_opt_in(app, client, world):
    from hub.registry import registry

    with app.app_context():
        opted = {name for name, t in registry().types.items() if t.comments}
    assert "project" in opted and "body" not in opted and "comment" not in opted
    assert client.get("/comments/body/1").status_code == 404


def test_personal_data_download_holds_comments(app, client, auth, world):
    auth.login("claire@example.org")
    _comment(client, world["project"], "Mon avis")
    data = client.get("/me/data.json").json
    found = [v for v in data.values() if isinstance(v, dict) and "comments" in v]
    assert found and found[0]["comments"][0]["body"] == "Mon avis"


def test_a_hidden_comment_is_never_quoted_and_takes_no_reply(app, client, auth, world, make_user):
    """Its reply page would quote the hidden text: refused, as a reply by the API is."""
    from hub.accounts.models import User
    from hub.comments.models import Comment
    from hub.db import write_transaction
    from hub.moderation import services as moderation

    moderator = make_user("moderator@example.org", roles=("moderator",))
    auth.login("claire@example.org")
    assert _comment(client, world["project"], "Le gardien est un voleur.").status_code == 302
    [hidden] = _comments(app)
    with app.test_request_context("/"), write_transaction():
        moderation.hide(
            db.session.get(Comment, hidden.id), db.session.get(User, moderator), "Accusation"
        )
    auth.logout()
    auth.login("karim@example.org")
    page = client.get(f"/comments/{hidden.id}/reply")
    assert page.status_code == 422 and "voleur" not in page.get_data(as_text=True)
    assert "hidden by moderation" in page.get_data(as_text=True)
    response = client.post(
        "/api/v1/comments",
        json={
            "target_type": "project",
            "target_id": world["project"],
            "body": "Je confirme.",
            "parent_id": hidden.id,
        },
        headers={"Authorization": f"Bearer {_token(app, world['karim'])}"},
    )
    assert (
        response.status_code == 422
        and "hidden by moderation" in response.get_json()["error"]["message"]
    )
    assert len(_comments(app)) == 1


def test_a_hidden_reply_takes_no_reply_either(app, client, auth, world, make_user):
    """A reply to a reply joins the thread's first comment: the reply answered is checked
    too, on every channel."""
    from hub.accounts.models import User
    from hub.comments import services as comments
    from hub.comments.models import Comment
    from hub.db import write_transaction
    from hub.moderation import services as moderation
    from hub.projects.models import Project

    moderator = make_user("moderator@example.org", roles=("moderator",))
    with app.test_request_context("/"):
        with write_transaction():
            project = db.session.get(Project, world["project"])
            first = comments.post(
                project, "Un banc de plus ?", db.session.get(User, world["claire"])
            )
            reply = comments.post(
                project,
                "Le voisin est un voleur.",
                db.session.get(User, world["karim"]),
                parent=first,
            )
        with write_transaction():
            moderation.hide(
                db.session.get(Comment, reply.id), db.session.get(User, moderator), "Accusation"
            )
        reply_id = reply.id
    token = _token(app, world["claire"])
    response = client.post(
        "/api/v1/comments",
        json={
            "target_type": "project",
            "target_id": world["project"],
            "body": "Je confirme.",
            "parent_id": reply_id,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.get_json()
    assert len(_comments(app)) == 2


def test_the_list_is_shared_and_each_reader_keeps_their_own_links(
    app, client, auth, world, make_user
):
    """The list of comments is rendered once for readers with the same roles (a shared part);
    the links to change one's comment, to report another's and to appeal the hiding of one's
    own are each reader's, and their page is the one they would read alone."""
    from conftest import AuthActions, csrf_from

    from hub.accounts.models import User
    from hub.comments.models import Comment
    from hub.db import write_transaction
    from hub.moderation import services as moderation

    moderator = make_user("moderator@example.org", roles=("moderator",))
    page = f"/projects/{world['project']}"
    claire = app.test_client()
    claire.set_cookie("hub_lang", "en")
    AuthActions(claire).login("claire@example.org")
    assert _comment(claire, world["project"], "Des bancs à l'ombre.").status_code == 302
    auth.login("karim@example.org")
    assert _comment(client, world["project"], "Le gardien est un voleur.").status_code == 302
    claires, karims = _comments(app)
    with app.test_request_context("/"), write_transaction():
        moderation.hide(
            db.session.get(Comment, karims.id), db.session.get(User, moderator), "Accusation"
        )
    parts = app.extensions["hub_shared_parts"]
    parts.seconds = 3600  # a slow machine must not expire them between two reads
    client.get(page)  # the flashes of the login and of the comment published
    claire.get(page)
    parts.clear()
    alone = client.get(page).get_data(as_text=True)
    parts.clear()
    seen_by_claire = claire.get(page).get_data(as_text=True)
    assert any(
        key[0][0] == "comments/_section.html" and entry is not None
        for key, (entry, *_rest) in parts.entries.items()
    ), "the list of comments is kept for the next reader"
    after = client.get(page).get_data(as_text=True)

    def without_token(text):
        return text.replace(csrf_from(text), "")

    assert without_token(after) == without_token(alone)
    assert "Appeal this decision" in after and "Change my comment" not in after
    assert f"/report/comment/{claires.id}" in after
    assert "Change my comment" in seen_by_claire and "Appeal this decision" not in seen_by_claire
    assert f"/report/comment/{claires.id}" not in seen_by_claire


def test_a_kept_discussion_reads_nothing_and_its_forms_are_each_readers(app, client, auth, world):
    """The whole section is a shared part: a second resident is served it kept without a
    statement about comments, polls, draws or opinions, with a comment form whose CSRF
    token is theirs (their comment is accepted); who may close the discussion gets a part
    of their own."""
    from conftest import AuthActions
    from query_count import counting

    page = f"/projects/{world['project']}"
    parts = app.extensions["hub_shared_parts"]
    parts.seconds = 3600  # a slow machine must not expire them between two reads
    claire = app.test_client()
    AuthActions(claire).login("claire@example.org")
    auth.login("karim@example.org")
    client.get(page)  # the flash of the login
    claires = claire.get(page).get_data(as_text=True)
    with counting(app) as statements:
        karims = client.get(page).get_data(as_text=True)
    read = " ".join(statements)
    for table in ("comment_thread", "FROM poll", "FROM lot_draw", "FROM guarantor_opinion"):
        assert table not in read, table
    assert 'hx-post="/comments/project/' in karims and "Close the discussion" not in karims
    assert csrf_from(karims) != csrf_from(claires)
    response = client.post(
        f"/comments/project/{world['project']}",
        data={"csrf_token": csrf_from(karims), "body": "Servi gardé, posté quand même."},
    )
    assert response.status_code == 302
    agent = app.test_client()
    agent.set_cookie("hub_lang", "en")
    AuthActions(agent).login("agent@example.org")
    agent.get(page)
    assert "Close the discussion" in agent.get(page).get_data(as_text=True)
