"""Residents' comments on an initiative's page: a comment hidden by moderation shows its
public reason in place of its text (as on every page of the hub), and a long discussion
comes a page at a time, a new comment's author taken to the page that shows it."""

from __future__ import annotations

import re

from conftest import submit
from initiative_workshops.helpers import propose

from hub.accounts.models import User
from hub.db import write_transaction
from hub.extensions import db


def _comment(app, item_id, author_id, text):
    from hub.contributions import services as contributions
    from plugins.initiative_workshops.models import Initiative

    with app.test_request_context("/"), write_transaction():
        item = db.session.get(Initiative, item_id)
        return contributions.add(item, text, author=db.session.get(User, author_id)).id


def test_a_hidden_comment_shows_the_reason_not_its_text(app, client, auth, make_user):
    from hub.contributions.models import Contribution
    from hub.moderation import services as moderation

    author = make_user("porteuse@example.org", verified=True)
    other = make_user("voisin@example.org", verified=True)
    moderator = make_user("moderatrice@example.org", roles=("moderator",))
    item_id = propose(app, author)
    kept = _comment(app, item_id, other, "Bonne idée, je participerai aux plantations.")
    hidden = _comment(app, item_id, other, "Le voisin du 12 est un escroc notoire.")
    with app.test_request_context("/"), write_transaction():
        moderation.hide(
            db.session.get(Contribution, hidden), db.session.get(User, moderator), "Injure"
        )
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "escroc" not in page and "Injure" in page
    assert "je participerai aux plantations" in page
    auth.login("porteuse@example.org")
    page = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert f"/report/contribution/{kept}" in page, "a shown comment can be reported"
    assert f"/report/contribution/{hidden}" not in page


def test_a_long_discussion_is_paged_and_a_new_comment_found(
    app, client, auth, make_user, monkeypatch
):
    from plugins.initiative_workshops import views

    monkeypatch.setattr(views, "COMMENTS_PAGE", 3)
    author = make_user("porteuse@example.org", verified=True)
    people = [make_user(f"voisine{n}@example.org", verified=True) for n in range(5)]
    item_id = propose(app, author)
    for n, person in enumerate(people):
        _comment(app, item_id, person, f"Avis numéro {n}")
    first = client.get(f"/initiatives/{item_id}").get_data(as_text=True)
    assert "Avis numéro 2" in first and "Avis numéro 3" not in first
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    assert "Avis numéro 3" in second and "Avis numéro 4" in second
    assert "Avis numéro 2" not in second
    auth.login("porteuse@example.org")
    response = submit(
        client,
        f"/initiatives/{item_id}",
        {"text": "Merci à toutes et à tous !"},
        action=f"/initiatives/{item_id}/comments",
    )
    assert response.status_code == 302
    landing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Merci à toutes et à tous" in landing, "the author lands on the page of the comment"
