"""One refusal, one message, for a budget project held by the core's pre-moderation: refused
at its feasibility review before any moderator read it, its description is never published
and its author is told once (the review's notification and email); refused by a moderator,
its feasibility review ends with it, and the author is told once (the moderation's).
Emails go to a real SMTP server."""

from __future__ import annotations

import pytest
from factories import confirm, refuse_appeal_and_restore, told
from pb_helpers import DESCRIPTION, campaign, make_agent, move, propose, resident, submit
from sqlalchemy import select

from hub.extensions import db

TITLE = "Des bancs le long du mail"
UNREAD = "pour que les aînés puissent s"  # a phrase of the held description only


@pytest.fixture(autouse=True)
def english(client):
    client.set_cookie("hub_lang", "en")


@pytest.fixture
def app(mailing_app):
    return mailing_app


@pytest.fixture
def held(app, make_user):
    """A project proposed while pre-moderation holds its text: ``(project id, author id)``."""
    agent = make_agent(make_user)
    make_user("mod@pb.example", roles=("moderator",))
    author = resident(make_user, "ana@pb.example", name="Ana")
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["participatory_budget"])
        db.session.commit()
    campaign_id, (district_id,) = campaign(app, agent)
    assert UNREAD in DESCRIPTION
    return propose(app, campaign_id, district_id, author, TITLE, 20_000), author


def _project(app, project_id):
    from plugins.participatory_budget.models import BudgetProject

    with app.app_context():
        project = db.session.get(BudgetProject, project_id)
        db.session.expunge_all()
        return project


def _page(client, project_id) -> str:
    page = client.get(f"/budgets/projects/{project_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _queue(client) -> str:
    return client.get("/moderation").get_data(as_text=True)


def test_refused_at_review_while_held_one_message_and_never_published(app, client, auth, held):
    project_id, author = held
    assert UNREAD not in _page(client, project_id)
    auth.login("agent@pb.example")
    reason = "Le mail appartient au département : la commune ne peut pas y installer de bancs."
    decided = submit(
        client,
        f"/budgets/projects/{project_id}/review",
        {"decision": "out_of_scope", "reason": reason},
    )
    assert decided.status_code == 302 and _project(app, project_id).status == "out_of_scope"
    auth.logout()
    auth.login("mod@pb.example")
    # The hold ended with the review: nothing left for a moderator to approve or refuse.
    queue = _queue(client)
    assert TITLE not in queue and "Nothing waits for approval." in queue
    auth.logout()
    emails, notes = told(app, "ana@pb.example", author)
    assert (
        len(notes) == 1 and emails == notes and "Faisabilité de votre projet" in notes[0]
    )  # default locale
    # The public sees the title, the decision, its reason and date, never the unread text.
    page = _page(client, project_id)
    assert TITLE in page and "la commune ne peut pas y installer de bancs" in page
    assert "Outside the commune" in page and UNREAD not in page
    assert "refused before a moderator read it" in page


def test_found_feasible_after_a_refusal_it_waits_for_a_moderator_again(app, client, auth, held):
    project_id, _author = held
    auth.login("agent@pb.example")
    url = f"/budgets/projects/{project_id}/review"
    assert (
        submit(client, url, {"decision": "unfeasible", "reason": "Trop cher."}).status_code == 302
    )
    feasible = submit(
        client,
        url,
        {"decision": "feasible", "cost": "20000", "cost_explanation": "Devis des services."},
    )
    assert feasible.status_code == 302 and _project(app, project_id).status == "feasible"
    auth.logout()
    # Never read by a moderator: still not published, and back in the moderators' queue.
    assert UNREAD not in _page(client, project_id)
    auth.login("mod@pb.example")
    assert TITLE in _queue(client)
    # Nor does the vote open on it before a moderator has read it.
    from hub.errors import RuleError
    from plugins.participatory_budget.models import BudgetProject

    with app.app_context():
        campaign_id = db.session.get(BudgetProject, project_id).campaign_id
        agent_id = _project(app, project_id).reviewed_by_id
    move(app, campaign_id, agent_id, "feasibility")
    with pytest.raises(RuleError) as refused:
        move(app, campaign_id, agent_id, "vote")
    assert refused.value.code == "unmoderated" and TITLE in refused.value.message
    approved = submit(
        client,
        "/moderation",
        {},
        action=f"/moderation/participatory_budget_project/{project_id}/approve",
    )
    assert approved.status_code == 302
    move(app, campaign_id, agent_id, "vote")


def test_refused_by_a_moderator_ends_the_review_with_one_message(app, client, auth, held):
    project_id, author = held
    auth.login("mod@pb.example")
    asked = submit(
        client,
        "/moderation",
        {"reason": "Publicité pour un commerce"},
        action=f"/moderation/participatory_budget_project/{project_id}/hide",
    )
    assert confirm(client, asked).status_code == 302
    auth.logout()
    project = _project(app, project_id)
    assert project.status == "refused" and project.review_reason == "Publicité pour un commerce"
    # Its feasibility review is over: the services have nothing left to refuse.
    auth.login("agent@pb.example")
    page = _page(client, project_id)
    assert "Review feasibility" not in page
    again = submit(
        client,
        f"/budgets/projects/{project_id}/review",
        {"decision": "unfeasible", "reason": "Trop cher."},
    )
    assert again.status_code == 422 and _project(app, project_id).status == "refused"
    auth.logout()
    emails, notes = told(app, "ana@pb.example", author)
    assert len(notes) == 1 and emails == notes  # one refusal, one message (with its email)
    page = _page(client, project_id)
    assert TITLE in page and "Publicité pour un commerce" in page and UNREAD not in page
    assert "refused by moderation" in page


def test_a_held_duplicate_merged_away_waits_for_nobody(app, client, auth, held):
    """Merged into another project, a held duplicate is never published: its hold ends with
    the merge (its author hears of the merge only) and the vote does not wait for it."""
    from hub.accounts.models import User
    from hub.db import write_transaction
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import BudgetProject

    project_id, author = held
    with app.app_context():
        duplicate = db.session.get(BudgetProject, project_id)
        campaign_id, district_id = duplicate.campaign_id, duplicate.district_id
    other = propose(app, campaign_id, district_id, author, "Des bancs sur le mail", 20_000)
    with app.test_request_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@pb.example"))
        with write_transaction():
            services.merge_project(
                db.session.get(BudgetProject, project_id),
                db.session.get(BudgetProject, other),
                agent,
                note="Même demande que « Des bancs sur le mail ».",
            )
        agent_id = agent.id
    auth.login("mod@pb.example")
    assert TITLE not in _queue(client)  # the other one still waits, not the merged one
    approved = submit(
        client,
        "/moderation",
        {},
        action=f"/moderation/participatory_budget_project/{other}/approve",
    )
    assert approved.status_code == 302
    auth.logout()
    auth.login("agent@pb.example")
    reviewed = submit(
        client,
        f"/budgets/projects/{other}/review",
        {"decision": "feasible", "cost": "20000", "cost_explanation": "Devis des services."},
    )
    assert reviewed.status_code == 302
    move(app, campaign_id, agent_id, "feasibility")
    move(app, campaign_id, agent_id, "vote")  # nothing waits for a moderator
    assert UNREAD not in _page(client, project_id)


def test_a_refusal_restored_on_appeal_goes_back_to_the_review(app, client, auth, held, make_user):
    """A second moderator restoring the text on appeal undoes the refusal: the project waits
    for its feasibility review again, instead of staying refused and never reviewable."""
    from plugins.participatory_budget.models import BudgetProject

    project_id, author = held
    second = make_user("mod2@pb.example", roles=("moderator",))
    refused = refuse_appeal_and_restore(
        app, BudgetProject, project_id, "mod@pb.example", author, second
    )
    assert refused.status == "refused"
    assert _project(app, project_id).status == "submitted"
    auth.login("agent@pb.example")
    reviewed = submit(
        client,
        f"/budgets/projects/{project_id}/review",
        {"decision": "feasible", "cost": "20000", "cost_explanation": "Devis des services."},
    )
    assert reviewed.status_code == 302 and _project(app, project_id).status == "feasible"
