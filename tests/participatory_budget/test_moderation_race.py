"""A moderator and the feasibility review decide on the same held budget project at the same
moment, with real concurrency (two threads, two database connections).

Each test holds the review's transaction open at the dangerous moment and runs the
moderator's act in a second thread. Both take the project's row, then its moderation
decision's (``moderation.lock``, the hub's one lock order), so on PostgreSQL (READ
COMMITTED) the moderator waits for the review and then reads what it decided: a text the
review refused is never published by an approval that read it still waiting, and a refusal
by the moderator does not deadlock with the review (each used to take the two rows in the
opposite order). On SQLite the write transaction (BEGIN IMMEDIATE) orders them.
"""

from __future__ import annotations

import time

import pytest
from pb_helpers import campaign, make_agent, propose, resident
from sqlalchemy import select
from test_close_race import WAIT, Side, _pause

from hub.accounts.models import User
from hub.db import write_transaction
from hub.extensions import db
from hub.plugin import RuleError

REASON = "Le mail appartient au département."


@pytest.fixture
def held(app, make_user):
    """A budget project waiting for pre-moderation: ``(project id, agent id, moderator id)``."""
    agent = make_agent(make_user)
    moderator = make_user("mod@pb.example", roles=("moderator",))
    author = resident(make_user, "ana@pb.example", name="Ana")
    with app.app_context():
        app.extensions["hub"].settings.set("moderation_premoderated", ["participatory_budget"])
        db.session.commit()
    campaign_id, (district_id,) = campaign(app, agent)
    return propose(app, campaign_id, district_id, author, "Des bancs", 20_000), agent, moderator


def _review(app, project_id, agent_id):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import BudgetProject

    def work():
        with write_transaction():
            services.review_project(
                db.session.get(BudgetProject, project_id),
                db.session.get(User, agent_id),
                decision="out_of_scope",
                reason=REASON,
            )

    return Side(app, "review", work)


def _moderate(app, project_id, moderator_id, act):
    from hub.moderation import services as moderation
    from plugins.participatory_budget.models import BudgetProject

    def work():
        with write_transaction():
            project = db.session.get(BudgetProject, project_id)
            moderator = db.session.get(User, moderator_id)
            if act == "approve":
                moderation.approve(project, moderator)
            else:
                moderation.hide(project, moderator, "Propos injurieux")

    return Side(app, act, work)


def _outcome(app, project_id):
    from hub.moderation.models import Decision
    from hub.notifications.models import Notification
    from plugins.participatory_budget.models import BudgetProject

    with app.app_context():
        decision = db.session.scalar(select(Decision).where(Decision.target_id == project_id))
        kinds = set(db.session.scalars(select(Notification.kind)))
        status = db.session.get(BudgetProject, project_id).status
        result = (status, decision.pending, decision.hidden, decision.reason, kinds)
        db.session.remove()
        return result


def _race(app, monkeypatch, held, act, *, after):
    """The review stops around its ``moderation.settle`` (its object written and flushed),
    the moderator acts meanwhile, then the review commits."""
    from hub.moderation import services as moderation

    project_id, agent_id, moderator_id = held
    reached, release = _pause(monkeypatch, moderation, "settle", "review", after=after)
    original = moderation.settle

    def settle_after_writing(target, actor):
        db.session.flush()  # the review's write of the project reaches the database
        return original(target, actor)

    monkeypatch.setattr(moderation, "settle", settle_after_writing)
    review = _review(app, project_id, agent_id)
    review.start()
    assert reached.wait(30)
    moderator = _moderate(app, project_id, moderator_id, act)
    moderator.start()
    time.sleep(WAIT)
    assert moderator.finished_at is None, (
        f"the moderator did not wait for the review: {moderator.error!r}"
    )
    release.set()
    review.join(30)
    moderator.join(30)
    assert not review.is_alive() and not moderator.is_alive()
    assert review.error is None, review.error
    return moderator.error


def test_an_approval_waits_for_the_review_refusing_the_held_text(app, monkeypatch, held):
    error = _race(app, monkeypatch, held, "approve", after=True)
    assert isinstance(error, RuleError) and error.status == 409, error
    status, pending, hidden, reason, kinds = _outcome(app, held[0])
    # Refused by the review, never published: the approval read it settled.
    assert (status, pending, hidden, reason) == ("out_of_scope", False, True, "")
    assert "moderation.approved" not in kinds


def test_a_refusal_by_a_moderator_and_the_review_do_not_deadlock(app, monkeypatch, held):
    error = _race(app, monkeypatch, held, "hide", after=False)
    # The review settled the hold first; the moderator then finds nothing left to refuse,
    # instead of one of them failing on a deadlock.
    assert isinstance(error, RuleError) and error.status == 409, error
    status, pending, hidden, reason, kinds = _outcome(app, held[0])
    assert (status, pending, hidden, reason) == ("out_of_scope", False, True, "")
    assert "moderation.refused" not in kinds
