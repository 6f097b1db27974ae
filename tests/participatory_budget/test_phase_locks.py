"""Staff writes that depend on the campaign's phase read it under the campaign's lock, and the
page that only asks to confirm a phase move neither locks the campaign nor counts the votes.

The races are real (two threads, two database connections): one side holds the campaign's
lock at the dangerous moment (a phase move written but not committed, a ballot in flight)
while the other runs. On PostgreSQL (READ COMMITTED) only the campaign row's locks order
them; on SQLite the write transaction (BEGIN IMMEDIATE) does.
"""

from __future__ import annotations

import threading
import time

import pytest
from factories import confirm
from pb_helpers import (
    accept,
    campaign,
    csrf_from,
    make_agent,
    propose,
    resident,
    submit,
    vote_campaign,
)
from test_close_race import WAIT, Side, _channel_work, _pause

from hub.accounts.models import User
from hub.db import is_sqlite, write_transaction
from hub.extensions import db
from hub.plugin import RuleError


def _feasibility_campaign(app, make_user):
    """A campaign in the feasibility phase whose projects are all reviewed: it may open the
    vote. Returns (campaign id, agent id)."""
    from pb_helpers import move

    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    campaign_id, (district_id,) = campaign(app, agent_id)
    pid = propose(app, campaign_id, district_id, author_id, "Des bancs au square", 20_000)
    accept(app, pid, agent_id)
    move(app, campaign_id, agent_id, "feasibility")
    return campaign_id, agent_id


def _moving(app, monkeypatch, campaign_id, agent_id, phase):
    """A phase move that stops once written, before its commit (holding the campaign's lock);
    returns (the side, reached, release)."""
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    reached, release = _pause(monkeypatch, services, "emit", "move", after=True)

    def work():
        with write_transaction():
            services.move_to_phase(
                db.session.get(Campaign, campaign_id), phase, db.session.get(User, agent_id)
            )

    return Side(app, "move", work), reached, release


def _race(app, monkeypatch, campaign_id, agent_id, phase, work):
    """Run ``work`` while a move to ``phase`` holds the campaign's lock; returns its side."""
    move, reached, release = _moving(app, monkeypatch, campaign_id, agent_id, phase)
    move.start()
    assert reached.wait(30), "the move never reached its end"
    staff = Side(app, "staff", work)
    staff.start()
    staff.join(WAIT)
    release.set()
    move.join(30)
    staff.join(30)
    assert not move.is_alive() and not staff.is_alive()
    assert move.error is None, move.error
    return staff


def test_the_rules_of_the_vote_cannot_change_while_it_opens(app, make_user, monkeypatch):
    """Staff save the campaign's rules (at most one project per ballot) while another agent's
    move to the vote is being written: the save waits for the move, then finds the vote open
    and is refused; the ballot keeps the rules the vote opened with."""
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    campaign_id, agent_id = _feasibility_campaign(app, make_user)

    def work():
        with write_transaction():
            services.update_campaign(
                db.session.get(Campaign, campaign_id),
                db.session.get(User, agent_id),
                max_projects=1,
            )

    staff = _race(app, monkeypatch, campaign_id, agent_id, "vote", work)
    assert isinstance(staff.error, RuleError), staff.error
    assert staff.error.code == "rules_locked"
    with app.app_context():
        saved = db.session.get(Campaign, campaign_id)
        assert (saved.phase, saved.max_projects) == ("vote", None)


def test_no_district_is_added_while_the_submissions_close(app, make_user, monkeypatch):
    """Staff add a district while another agent closes the submissions: the addition waits
    for the move, then is refused (districts are fixed once projects are under review)."""
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign, District

    agent_id = make_agent(make_user)
    campaign_id, _ids = campaign(app, agent_id)

    def work():
        with write_transaction():
            services.add_district(
                db.session.get(Campaign, campaign_id),
                db.session.get(User, agent_id),
                name="Les Tilleuls",
                envelope=50_000,
            )

    staff = _race(app, monkeypatch, campaign_id, agent_id, "feasibility", work)
    assert isinstance(staff.error, RuleError), staff.error
    assert staff.error.code == "districts_locked"
    with app.app_context():
        names = db.session.scalars(
            db.select(District.name).where(District.campaign_id == campaign_id)
        ).all()
        assert names == ["Toute la commune"]
        assert db.session.get(Campaign, campaign_id).phase == "feasibility"


def test_asking_to_close_the_vote_neither_counts_nor_waits(
    app, client, auth, make_user, monkeypatch
):
    """The confirmation page of "move to results" checks the move's rules only: the votes are
    counted once, when the move is confirmed, not to show the page that asks."""
    from plugins.participatory_budget import results
    from plugins.participatory_budget.models import Campaign

    campaign_id, _district_id, _ids, _agent_id = vote_campaign(app, make_user)
    counts = []
    original = results.compute_results
    monkeypatch.setattr(
        results, "compute_results", lambda *a, **k: counts.append(1) or original(*a, **k)
    )
    auth.login("agent@pb.example")
    manage_url = f"/budgets/{campaign_id}/manage"
    asked = submit(
        client, manage_url, {"phase": "results", "note": ""}, action=f"/budgets/{campaign_id}/phase"
    )
    assert asked.status_code == 200 and 'name="hub_confirmed"' in asked.get_data(True)
    assert counts == []  # the page that asks counted nothing
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).phase == "vote"
    done = confirm(client, asked)
    assert done.status_code == 302
    assert counts == [1]
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).phase == "results"


def test_asking_to_close_the_vote_does_not_wait_for_a_ballot_in_flight(
    app, client, auth, make_user, monkeypatch
):
    """A ballot is being cast (it holds the campaign's shared lock) when staff ask to close
    the vote: the confirmation page answers at once; only the confirmed move waits for it.
    PostgreSQL only: on SQLite every write transaction, the confirmation's check included,
    takes the database's write lock in turn (BEGIN IMMEDIATE)."""
    from plugins.participatory_budget import voting

    with app.app_context():
        if is_sqlite(db.engine):
            pytest.skip("row locks: PostgreSQL (SQLite serialises every write transaction)")
    campaign_id, district_id, ids, agent_id = vote_campaign(app, make_user)
    work = _channel_work(app, make_user, "web", campaign_id, district_id, ids[0], agent_id)
    reached, release = _pause(monkeypatch, voting, "check_ballot", "ballot")
    ballot = Side(app, "ballot", work)
    ballot.start()
    # Released at the latest after twice the wait allowed, so a page that waits fails quickly.
    timer = threading.Timer(2 * WAIT, release.set)
    timer.start()
    try:
        assert reached.wait(30), "the ballot never reached its check"
        auth.login("agent@pb.example")
        started = time.monotonic()
        page = client.get(f"/budgets/{campaign_id}/manage").get_data(True)
        asked = client.post(
            f"/budgets/{campaign_id}/phase",
            data={"csrf_token": csrf_from(page), "phase": "results", "note": ""},
        )
        waited = time.monotonic() - started
    finally:
        release.set()
        timer.cancel()
        ballot.join(30)
    assert asked.status_code == 200 and 'name="hub_confirmed"' in asked.get_data(True)
    assert waited < WAIT, f"the confirmation page waited {waited:.1f} s for the ballot"
    assert ballot.error is None, ballot.error
