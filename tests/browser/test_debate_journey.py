"""The debate and moderation journey in a real Chromium, with and without JavaScript: a
resident comments and another replies; a third reports the comment; a moderator hides it
with a reason; its author appeals; the guarantor sees the whole trail."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

sys.path.append(str(Path(__file__).parent))

pytestmark = pytest.mark.browser
_numbers = itertools.count(1)


def _school_project(live_server) -> int | None:
    from sqlalchemy import select

    from hub.extensions import db
    from hub.projects.models import Project

    with live_server.app.app_context():
        found = db.session.scalar(
            select(Project.id).where(Project.slug == "cour-ecole-jean-moulin")
        )
        db.session.remove()
    return found


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "without-js"])
def test_comment_reply_report_hide_appeal_and_guarantor(logged_in, live_server, javascript):
    live_server.require("moderation.queue")
    project_id = _school_project(live_server)
    assert project_id is not None, "the demo has no school project"
    n = next(_numbers)
    people = {}
    for role in ("autrice", "repondant", "signaleur"):
        email = f"{role}-{n}-{int(javascript)}@example.org"
        live_server.create_user(email, name=f"{role.title()} {n}", verified=True)
        people[role] = email
    run = f"essai {n}-{'js' if javascript else 'html'}"
    text = f"Ce projet est mené par des incapables ({run})."
    reason = f"Propos injurieux, charte règle 1 ({run})."

    author = logged_in(people["autrice"], java_script_enabled=javascript).new_page()
    author.goto(f"/projects/{project_id}")
    author.fill("#comment-body", text)
    author.get_by_role("button", name="Publier mon commentaire").click()
    expect(author.locator("main")).to_contain_text(text)

    replier = logged_in(people["repondant"], java_script_enabled=javascript).new_page()
    replier.goto(f"/projects/{project_id}")
    comment = replier.locator("article.comment", has_text=text)
    comment.get_by_role("link", name="Répondre").click()
    replier.fill("#comment-body", "Restons courtois, s'il vous plaît.")
    replier.get_by_role("button", name="Publier ma réponse").click()
    expect(replier.locator("main")).to_contain_text("Restons courtois")

    reporter = logged_in(people["signaleur"], java_script_enabled=javascript).new_page()
    reporter.goto(f"/projects/{project_id}")
    reporter.locator("article.comment", has_text=text).get_by_role("link", name="Signaler").click()
    reporter.get_by_label("Insultant ou agressif").check()
    reporter.get_by_role("button", name="Envoyer mon signalement").click()
    expect(reporter.locator(".flash--success")).to_be_visible()

    moderator = logged_in("moderation@ormeval.example", java_script_enabled=javascript).new_page()
    moderator.goto("/moderation")
    group = moderator.locator("article", has_text=run)
    group.locator("textarea").fill(reason)
    group.get_by_role("button", name="Masquer").click()
    # Hiding is confirmed first: the page repeats the public reason.
    expect(moderator.locator("main")).to_contain_text(reason)
    moderator.locator("main button[name=hub_confirmed]").click()
    expect(moderator.locator(".flash--success")).to_be_visible()

    author.goto(f"/projects/{project_id}")
    expect(author.locator("main")).not_to_contain_text(text)
    expect(author.locator("main")).to_contain_text(reason)
    author.locator("p.moderated", has_text=reason).get_by_role(
        "link", name="Contester cette décision"
    ).click()
    author.fill("#text", "Je critiquais la méthode, pas des personnes.")
    author.get_by_role("button", name="Envoyer mon recours").click()
    expect(author.locator("main")).to_contain_text("Votre recours est en cours d’examen.")

    guarantor = logged_in("garant@ormeval.example", java_script_enabled=javascript).new_page()
    guarantor.goto("/moderation/decisions")
    row = guarantor.locator("tr", has_text=reason).first
    expect(row).to_contain_text("Recours en attente")
    guarantor.goto("/guarantor/audit")
    expect(guarantor.locator("main")).to_contain_text("moderation.appealed")
    expect(guarantor.locator("main")).not_to_contain_text(people["autrice"])

    for page in (author, replier, reporter, moderator, guarantor):
        assert page.context.monitor.problems == []


def test_hostile_text_in_comments_reports_moderation_and_polls(live_server, logged_in):
    live_server.require("polls.new")
    from xss_corpus import PAYLOADS, check_page, markers_shown

    project_id = _school_project(live_server)
    assert project_id is not None, "the demo has no school project"
    writer, reporter_email = "xss-commentaire@example.org", "xss-signalement@example.org"
    for email in (writer, reporter_email):
        live_server.create_user(email, name="Essai XSS", verified=True)
    problems = []

    page = logged_in(writer).new_page()
    page.goto(f"/projects/{project_id}")
    page.fill("#comment-body", "\n\n".join(PAYLOADS))
    page.get_by_role("button", name="Publier mon commentaire").click()
    expect(page.locator("main")).to_contain_text("xss16")
    problems += markers_shown(page, f"/projects/{project_id}")

    reporter = logged_in(reporter_email).new_page()
    reporter.goto(f"/projects/{project_id}")
    reporter.locator("article.comment", has_text="xss16").get_by_role(
        "link", name="Signaler"
    ).click()
    reporter.get_by_label("Autre chose").check()
    reporter.fill("#details", PAYLOADS[0] + " signalement-xss")
    reporter.get_by_role("button", name="Envoyer mon signalement").click()

    moderator = logged_in("moderation@ormeval.example").new_page()
    problems += check_page(moderator, "/moderation", [PAYLOADS[0]])
    group = moderator.locator("article", has_text="signalement-xss")
    group.locator("textarea").fill(PAYLOADS[1])
    group.get_by_role("button", name="Masquer").click()
    expect(moderator.locator("main button[name=hub_confirmed]")).to_be_visible()
    problems += check_page(moderator, None, [PAYLOADS[1]])  # the confirmation repeats it
    moderator.locator("main button[name=hub_confirmed]").click()
    problems += check_page(page, f"/projects/{project_id}", [PAYLOADS[1]])

    agent = logged_in("agent@ormeval.example").new_page()
    agent.goto(f"/polls/new?target_type=project&target_id={project_id}")
    agent.fill("#question", PAYLOADS[0])
    agent.fill("#options", "\n".join(PAYLOADS[1:5]))
    agent.fill("#closes_at", "2031-01-01T12:00")
    agent.get_by_role("button", name="Ouvrir le sondage").click()
    problems += check_page(agent, None, PAYLOADS[:5])

    for each in (page, reporter, moderator, agent):
        problems += each.context.monitor.problems
    assert not problems, "\n".join(problems)


def test_debate_moderation_guarantor_and_poll_pages_pass_axe(live_server, logged_in, new_context):
    live_server.require("polls.new")
    from test_accessibility import describe, run_axe

    project_id = _school_project(live_server)
    assert project_id is not None, "the demo has no school project"
    from sqlalchemy import select

    from hub.comments.models import Comment
    from hub.extensions import db
    from hub.moderation.models import Decision

    with live_server.app.app_context():
        comment_id = db.session.scalar(  # Claire's reply: someone else's for Karim
            select(Comment.id).where(
                Comment.target_id == project_id, Comment.body.like("Bonne idée%")
            )
        )
        decision = db.session.scalar(select(Decision).where(Decision.appealed_at.is_not(None)))
        appeal_id = decision.id if decision else None
        db.session.remove()
    pages = {
        None: [
            f"/projects/{project_id}",
            "/polls",
            "/polls/1",
            "/polls/2",
            "/guarantor",
            "/moderation/charter",
            f"/comments/project/{project_id}",
        ],
        "karim@ormeval.example": [
            f"/projects/{project_id}",
            f"/comments/{comment_id}/reply",
            f"/report/comment/{comment_id}",
            "/polls/1",
        ],
        "moderation@ormeval.example": ["/moderation", "/moderation/decisions", "/staff"],
        # The demo appeal is decided by another moderator than the one who hid the text.
        "admin@ormeval.example": [f"/moderation/appeals/{appeal_id}/decide"] if appeal_id else [],
        "garant@ormeval.example": [
            "/guarantor",
            "/guarantor/audit",
            "/moderation/decisions",
            f"/projects/{project_id}",
        ],
        "agent@ormeval.example": ["/polls/new", f"/projects/{project_id}"],
    }
    reports = []
    for email, urls in pages.items():
        context = logged_in(email) if email else new_context()
        page = context.new_page()
        for url in urls:
            response = page.goto(url)
            assert response.status < 400, (email, url, response.status)
            violations = run_axe(page)
            if violations:
                reports.append(describe(url, violations))
        # A form shown with its errors passes too.
        if email == "agent@ormeval.example":
            page.goto("/polls/new")
            page.get_by_role("button", name="Ouvrir le sondage").click()
            violations = run_axe(page)
            if violations:
                reports.append(describe("/polls/new (errors)", violations))
    assert not reports, "\n".join(reports)
