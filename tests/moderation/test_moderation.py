"""Moderation as a core service: residents report, moderators see the reports grouped per
object and hide with a public reason, the author is told and appeals once, a second
moderator decides; every step is audited."""

import pytest
from conftest import csrf_from, submit
from factories import add_contribution, confirm, make_project, make_territory
from sqlalchemy import select

from hub.extensions import db


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def world(app, make_user):
    make_territory(app)
    agent = make_user("agent@example.org", roles=("agent",))
    users = dict(
        agent=agent,
        mod1=make_user("mod1@example.org", roles=("moderator",)),
        mod2=make_user("mod2@example.org", roles=("moderator",)),
        claire=make_user("claire@example.org", verified=True, name="Claire"),
        karim=make_user("karim@example.org", verified=True, name="Karim"),
        lea=make_user("lea@example.org", verified=True, name="Léa"),
        paul=make_user("paul@example.org", confirmed=False),
    )
    project = make_project(app, owner_id=agent, phase="strategie", published=True)
    users["project"] = project
    return users


def _comment(app, world, body="Quelle bande d'incapables !", author="claire"):
    from hub.comments.models import Comment

    with app.app_context():
        row = Comment(
            target_type="project", target_id=world["project"], author_id=world[author], body=body
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def _report(client, comment_id, reason="insult", details=""):
    url = f"/report/comment/{comment_id}"
    return submit(client, url, {"reason": reason, "details": details})


def _decision(app):
    from hub.moderation.models import Decision

    with app.app_context():
        return db.session.scalar(select(Decision))


def test_report_queue_hide_appeal_and_second_moderator(app, client, auth, world):
    comment_id = _comment(app, world)
    other_id = _comment(app, world, body="Un avis modéré", author="karim")
    # Two residents report the comment; one reports the other comment.
    for email in ("karim@example.org", "lea@example.org"):
        auth.login(email)
        page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
        assert f"/report/comment/{comment_id}" in page
        assert _report(client, comment_id, details="Insulte").status_code == 302
        auth.logout()
    auth.login("lea@example.org")
    assert _report(client, other_id, reason="spam").status_code == 302
    # Reporting twice is refused.
    response = _report(client, comment_id)
    assert response.status_code == 422
    assert "already reported" in response.get_data(as_text=True)
    auth.logout()
    # The author may not report their own text.
    auth.login("claire@example.org")
    assert client.get(f"/report/comment/{comment_id}").status_code == 403
    auth.logout()
    # The queue groups reports per object, the most reported first.
    auth.login("mod1@example.org")
    queue = client.get("/moderation").get_data(as_text=True)
    assert queue.index("Quelle bande") < queue.index("Un avis modéré")
    assert "2 reports" in queue and "1 report" in queue
    # Hiding needs a public reason.
    response = submit(
        client, "/moderation", {"reason": ""}, action=f"/moderation/comment/{comment_id}/hide"
    )
    assert response.status_code == 422
    response = confirm(
        client,
        submit(
            client,
            "/moderation",
            {"reason": "Propos insultants envers les agents"},
            action=f"/moderation/comment/{comment_id}/hide",
        ),
    )
    assert response.status_code == 302
    response = confirm(
        client, submit(client, "/moderation", {}, action=f"/moderation/comment/{other_id}/keep")
    )
    assert response.status_code == 302
    assert "No open report." in client.get("/moderation").get_data(as_text=True)
    auth.logout()
    # Everyone sees the reason in place of the text, in the page and the API.
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "Quelle bande" not in page
    assert "Hidden by moderation:</strong> Propos insultants envers les agents" in page
    assert "Un avis modéré" in page
    listing = client.get(f"/api/v1/comments?target_type=project&target_id={world['project']}").json[
        "comments"
    ]
    assert listing[0] == {
        **{k: listing[0][k] for k in ("id", "uuid", "parent_id", "created_at")},
        "hidden": True,
        "moderation_reason": "Propos insultants envers les agents",
    }
    # The author is told and appeals once.
    from hub.notifications.models import Notification

    with app.app_context():
        told = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == world["claire"])
        ).all()
    assert "moderation.hidden" in told
    decision = _decision(app)
    auth.login("claire@example.org")
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert f"/moderation/appeals/{decision.id}" in page
    appeal = f"/moderation/appeals/{decision.id}"
    assert submit(client, appeal, {"text": ""}).status_code == 422
    assert submit(client, appeal, {"text": "C'était de l'ironie."}).status_code == 302
    page = client.get(appeal).get_data(as_text=True)
    assert "Your appeal is being examined." in page
    response = client.post(appeal, data={"csrf_token": csrf_from(page), "text": "Encore"})
    assert response.status_code == 409
    auth.logout()
    # Nobody else may appeal.
    auth.login("karim@example.org")
    assert client.get(appeal).status_code == 403
    auth.logout()
    # The moderator who hid it may not decide the appeal; another one does.
    auth.login("mod1@example.org")
    assert client.get(f"/moderation/appeals/{decision.id}/decide").status_code == 403
    auth.logout()
    auth.login("mod2@example.org")
    asked = submit(
        client,
        f"/moderation/appeals/{decision.id}/decide",
        {"outcome": "restored", "reason": "Ironie manifeste, sans injure directe."},
    )
    assert "Ironie manifeste" in asked.get_data(as_text=True)  # repeated before the act
    from hub.audit import AuditEntry as Entry

    with app.app_context():  # nothing decided before the confirmation
        assert "moderation.appeal_decided" not in db.session.scalars(select(Entry.action)).all()
    response = confirm(client, asked)
    assert response.status_code == 302
    auth.logout()
    assert "Quelle bande" in client.get(f"/projects/{world['project']}").get_data(as_text=True)
    # Every step is in the audit log.
    from hub.audit import AuditEntry

    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    for action in (
        "moderation.reported",
        "moderation.hidden",
        "moderation.kept",
        "moderation.appealed",
        "moderation.appeal_decided",
    ):
        assert action in actions


def test_contributions_can_be_reported_and_hidden(app, client, auth, world):
    contribution_id = add_contribution(
        app, world["project"], author_id=world["claire"], text="M. Dupont, 12 rue des Lilas"
    )
    auth.login("karim@example.org")
    response = submit(
        client,
        f"/report/contribution/{contribution_id}",
        {"reason": "personal_data"},
    )
    assert response.status_code == 302
    auth.logout()
    auth.login("mod1@example.org")
    response = confirm(
        client,
        submit(
            client,
            "/moderation",
            {"reason": "Données personnelles d'un tiers"},
            action=f"/moderation/contribution/{contribution_id}/hide",
        ),
    )
    assert response.status_code == 302
    auth.logout()
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    assert "12 rue des Lilas" not in page
    assert (
        "Données personnelles d&#39;un tiers" in page or "Données personnelles d'un tiers" in page
    )


def test_who_may_do_what(app, client, auth, world):
    comment_id = _comment(app, world)
    # Unconfirmed accounts cannot report; residents cannot reach the queue or hide.
    auth.login("paul@example.org")
    assert client.get(f"/report/comment/{comment_id}").status_code == 403
    auth.logout()
    auth.login("karim@example.org")
    assert client.get("/moderation").status_code == 403
    page = client.get(f"/projects/{world['project']}").get_data(as_text=True)
    response = client.post(
        f"/moderation/comment/{comment_id}/hide",
        data={"csrf_token": csrf_from(page), "reason": "x"},
    )
    assert response.status_code == 403
    assert client.get("/moderation/decisions").status_code == 403
    auth.logout()
    # Types that do not opt in cannot be reported.
    auth.login("karim@example.org")
    assert client.get(f"/report/project/{world['project']}").status_code == 404
    # The charter is public.
    auth.logout()
    assert "Moderation charter" in client.get("/moderation/charter").get_data(as_text=True)


def test_a_discussion_asks_once_which_comments_the_visitor_may_report(app, world):
    """``reportable`` (one call for a discussion's comments) says what ``may_report`` says of
    each: not one's own, not a hidden one, not when unconfirmed or anonymous."""
    from flask_login import AnonymousUserMixin

    from hub.accounts.models import User
    from hub.comments.models import Comment
    from hub.moderation import services
    from hub.moderation.models import Decision
    from hub.projects.models import Project

    ids = [_comment(app, world, author=name) for name in ("claire", "karim", "lea")]
    with app.test_request_context():
        db.session.add(
            Decision(target_type="comment", target_id=ids[2], hidden=True, reason="insult")
        )
        db.session.flush()
        comments = [db.session.get(Comment, i) for i in ids]
        karim, paul = db.session.get(User, world["karim"]), db.session.get(User, world["paul"])
        assert services.reportable(karim, comments) == {ids[0]}
        assert [services.may_report(karim, c) for c in comments] == [True, False, False]
        assert services.reportable(paul, comments) == set()
        assert services.reportable(AnonymousUserMixin(), comments) == set()
        assert services.reportable(karim, []) == set()
        project = db.session.get(Project, world["project"])
        with pytest.raises(ValueError):
            services.reportable(karim, [comments[0], project])


def test_staff_area_counts_reports(app, client, auth, world):
    comment_id = _comment(app, world)
    auth.login("karim@example.org")
    _report(client, comment_id)
    auth.logout()
    auth.login("mod1@example.org")
    page = client.get("/staff").get_data(as_text=True)
    assert "1 open report" in page


def test_hiding_and_keeping_are_confirmed_first(app, client, auth, world):
    """Hiding and keeping reported content are decisions others are told of: each asks first,
    repeating the public reason, and changes nothing before "Confirm" (issue 20)."""
    from hub.moderation.models import Report

    comment_id = _comment(app, world)
    other_id = _comment(app, world, body="Un avis modéré", author="karim")
    auth.login("lea@example.org")
    assert _report(client, comment_id).status_code == 302
    assert _report(client, other_id, reason="spam").status_code == 302
    auth.logout()
    auth.login("mod1@example.org")
    reason = "Propos insultants envers les agents"
    hide_url = f"/moderation/comment/{comment_id}/hide"
    asked = submit(client, "/moderation", {"reason": reason}, action=hide_url)
    shown = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Hide this content?" in shown and reason in shown
    assert "may appeal once" in shown
    assert "This cannot be undone." not in shown  # an appeal can restore it
    assert _decision(app) is None
    # "Change what I typed": back to the queue, the reason kept in this item's field only.
    back = confirm(client, asked, button="hub_change")
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and page.count(reason) == 1
    assert f'id="reason-comment-{comment_id}"' in page.split(reason)[0].rsplit("<textarea", 1)[1]
    assert confirm(client, asked).status_code == 302
    assert _decision(app).hidden

    keep_url = f"/moderation/comment/{other_id}/keep"
    asked = submit(client, "/moderation", {}, action=keep_url)
    shown = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Keep this content and close its reports?" in shown
    with app.app_context():
        assert (
            db.session.scalar(select(Report.resolved_at).where(Report.target_id == other_id))
            is None
        )
    back = confirm(client, asked, button="hub_change")
    assert back.status_code == 302 and back.headers["Location"].endswith(
        f"#report-comment-{other_id}"
    )
    assert confirm(client, asked).status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(Report.outcome).where(Report.target_id == other_id)) == "kept"
        )
    assert "No open report." in client.get("/moderation").get_data(as_text=True)
