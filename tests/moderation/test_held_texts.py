"""Texts held for pre-moderation and the participants' amendments to draft minutes (issue 17):
a held comment is told to followers only once a moderator approves it, a refused one tells
its author why; an amendment to minutes is reported, hidden and pre-moderated like every
resident-written text."""

from datetime import datetime, timedelta

import pytest
from conftest import submit
from factories import confirm, make_body, make_project, make_session, make_territory
from sqlalchemy import select

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


def _premoderate(app, *names):
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", list(names))
        db.session.commit()


def _notifications(app, user_id):
    from hub.notifications.models import Notification

    with app.app_context():
        return [
            (n.kind, n.title, n.body)
            for n in db.session.scalars(select(Notification).where(Notification.user_id == user_id))
        ]


def _kinds(app, user_id):
    return [kind for kind, _title, _body in _notifications(app, user_id)]


@pytest.fixture
def debate(app, make_user):
    make_territory(app)
    ids = dict(
        agent=make_user("agent@example.org", roles=("agent",)),
        claire=make_user("claire@example.org", verified=True, name="Claire"),
        karim=make_user("karim@example.org", verified=True, name="Karim"),
        mod=make_user("mod@example.org", roles=("moderator",)),
    )
    ids["project"] = make_project(app, owner_id=ids["agent"], phase="strategie", published=True)
    return ids


def _follow_and_comment(client, auth, debate, body):
    project = debate["project"]
    auth.login("karim@example.org")
    followed = submit(
        client, f"/projects/{project}", {"follow": "1"}, action=f"/follow/project/{project}"
    )
    assert followed.status_code == 302
    auth.logout()
    auth.login("claire@example.org")
    posted = submit(
        client, f"/projects/{project}", {"body": body}, action=f"/comments/project/{project}"
    )
    assert posted.status_code == 302
    auth.logout()
    from hub.comments.models import Comment

    return db.session.scalar(select(Comment.id).where(Comment.body == body))


def test_followers_hear_of_a_held_comment_once_it_is_approved(app, client, auth, debate):
    _premoderate(app, "comment")
    with app.app_context():
        comment_id = _follow_and_comment(client, auth, debate, "Des arbres, vite.")
    # Held: the follower does not hear of a text nobody may read yet.
    assert "comment.posted" not in _kinds(app, debate["karim"])
    auth.login("mod@example.org")
    approved = submit(client, "/moderation", {}, action=f"/moderation/comment/{comment_id}/approve")
    assert approved.status_code == 302
    # Approved a second time (from a queue page left open): refused with its reason, told once.
    again = submit(
        client,
        f"/projects/{debate['project']}",
        {},
        action=f"/moderation/comment/{comment_id}/approve",
    )
    assert again.status_code == 409
    assert "This is not waiting for moderation." in again.get_data(as_text=True)
    assert _kinds(app, debate["claire"]).count("moderation.approved") == 1
    assert "comment.posted" in _kinds(app, debate["karim"])
    assert "moderation.approved" in _kinds(app, debate["claire"])
    # The author is not told of her own comment.
    assert "comment.posted" not in _kinds(app, debate["claire"])


def test_a_refused_held_comment_tells_its_author_why(app, client, auth, debate):
    _premoderate(app, "comment")
    with app.app_context():
        comment_id = _follow_and_comment(client, auth, debate, "Un texte hors sujet.")
    auth.login("mod@example.org")
    refused = confirm(
        client,
        submit(
            client,
            "/moderation",
            {"reason": "Hors sujet : parle d'un autre quartier"},
            action=f"/moderation/comment/{comment_id}/hide",
        ),
    )
    assert refused.status_code == 302
    told = [n for n in _notifications(app, debate["claire"]) if n[0] == "moderation.refused"]
    assert len(told) == 1
    _kind, title, body = told[0]
    assert title == "Your text was not published"
    assert "Hors sujet : parle d'un autre quartier" in body
    # Followers never hear of a refused text.
    assert "comment.posted" not in _kinds(app, debate["karim"])
    auth.logout()
    page = client.get(f"/projects/{debate['project']}").get_data(as_text=True)
    assert "Un texte hors sujet" not in page and "parle d&#39;un autre quartier" in page.replace(
        "&#x27;", "&#39;"
    )


@pytest.fixture
def minutes(app, client, auth, make_user):
    """Draft minutes of a past session sent to its two participants for amendments."""
    from hub.sessions.models import MeetingRegistration

    quarters = make_territory(app)
    ids = dict(
        president=make_user("pres@example.org", verified=True),
        ana=make_user("ana@example.org", name="Ana"),
        ben=make_user("ben@example.org", name="Ben"),
        mod=make_user("mod@example.org", roles=("moderator",)),
    )
    body = make_body(
        app, members=[(ids["president"], "president")], neighbourhood_ids=[quarters[0]]
    )
    start = datetime.now().replace(second=0, microsecond=0) - timedelta(days=2)
    ids["meeting"] = make_session(
        app,
        title="Atelier passé",
        organiser=("body", body),
        starts_at=start,
        place="Salle A",
        created_by_id=ids["president"],
    )
    with app.app_context():
        for who in ("ana", "ben"):
            db.session.add(MeetingRegistration(meeting_id=ids["meeting"], user_id=ids[who]))
        db.session.commit()
    ids["url"] = url = f"/sessions/{ids['meeting']}/minutes"
    auth.login("pres@example.org")
    drafted = submit(
        client, url, {"objectives": "Le square", "synthesis": "Les habitants veulent des bancs."}
    )
    assert drafted.status_code == 302
    assert submit(client, url, {"days": "7"}, action=f"{url}/review").status_code == 302
    auth.logout()
    return ids


def _amend(client, auth, url, comment):
    auth.login("ana@example.org")
    response = submit(
        client, url, {"section": "synthesis", "comment": comment}, action=f"{url}/amendments"
    )
    assert response.status_code == 302
    auth.logout()
    from hub.sessions.models import MinutesAmendment

    return db.session.scalar(select(MinutesAmendment.id).where(MinutesAmendment.comment == comment))


def test_an_amendment_to_minutes_is_reported_and_hidden_with_a_reason(app, client, auth, minutes):
    url = minutes["url"]
    with app.app_context():
        amendment_id = _amend(client, auth, url, "Ben a insulté la présidente.")
    assert "session.minutes_amendment" in _kinds(app, minutes["president"])
    auth.login("ben@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "Ben a insulté" in page and f"/report/minutes_amendment/{amendment_id}" in page
    reported = submit(client, f"/report/minutes_amendment/{amendment_id}", {"reason": "insult"})
    assert reported.status_code == 302
    auth.logout()
    auth.login("mod@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Amendment to minutes" in queue and "Ben a insulté" in queue
    # The moderator reads the minutes the amendment belongs to.
    assert client.get(url).status_code == 200
    hidden = confirm(
        client,
        submit(
            client,
            "/moderation",
            {"reason": "Attaque personnelle"},
            action=f"/moderation/minutes_amendment/{amendment_id}/hide",
        ),
    )
    assert hidden.status_code == 302
    auth.logout()
    assert "moderation.hidden" in _kinds(app, minutes["ana"])
    auth.login("pres@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "Ben a insulté" not in page and "Hidden by moderation:" in page
    assert "Attaque personnelle" in page and f"a{amendment_id}-decision" not in page
    # A hidden amendment is no longer one the organisers must answer.
    assert submit(client, url, {}, action=f"{url}/close-review").status_code == 302
    assert confirm(client, submit(client, url, {}, action=f"{url}/approve")).status_code == 302


def test_a_held_amendment_waits_for_a_moderator(app, client, auth, minutes):
    _premoderate(app, "minutes_amendment")
    url = minutes["url"]
    with app.app_context():
        amendment_id = _amend(client, auth, url, "Ajoutez la fontaine.")
    # Nobody reads it yet, and the organisers are not told of it yet.
    assert "session.minutes_amendment" not in _kinds(app, minutes["president"])
    auth.login("pres@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "Ajoutez la fontaine" not in page and "Waiting for moderation" in page
    assert f"a{amendment_id}-decision" not in page
    assert submit(client, url, {}, action=f"{url}/close-review").status_code == 302
    blocked = submit(client, url, {}, action=f"{url}/approve")
    assert blocked.status_code == 422
    assert "waits for a moderator" in blocked.get_data(as_text=True)
    auth.logout()
    auth.login("mod@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Ajoutez la fontaine" in queue
    approved = submit(
        client, "/moderation", {}, action=f"/moderation/minutes_amendment/{amendment_id}/approve"
    )
    assert approved.status_code == 302
    auth.logout()
    assert "session.minutes_amendment" in _kinds(app, minutes["president"])
    assert "moderation.approved" in _kinds(app, minutes["ana"])
    auth.login("pres@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "Ajoutez la fontaine" in page and f"a{amendment_id}-decision" in page
