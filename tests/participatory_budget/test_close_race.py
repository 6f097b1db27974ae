"""The vote closes while ballots are in flight, with real concurrency (two threads, two
database connections): a ballot that read the phase "vote" is either counted by the close or
refused with "the vote is not open"; never stored but left out of the results.

Each test holds one transaction open at the dangerous moment (the ballot after reading the
phase; the close after counting, before committing) and runs the other in a second thread.
On PostgreSQL (READ COMMITTED) only the campaign row's locks order them; on SQLite the write
transaction (BEGIN IMMEDIATE) does.
"""

from __future__ import annotations

import threading
import time

import pytest
from pb_helpers import ballot_rows, resident, token_for, vote_campaign
from sqlalchemy import select

from hub.accounts.models import User
from hub.db import write_transaction
from hub.extensions import db
from hub.plugin import RuleError

WAIT = 1.5  # seconds the blocked side is given to (wrongly) go ahead


class Side(threading.Thread):
    """Runs ``work()`` in its own request context (its own session and connection)."""

    def __init__(self, app, name, work):
        super().__init__(name=name, daemon=True)
        self.app, self.work = app, work
        self.value = self.error = None
        self.finished_at = None

    def run(self):
        with self.app.test_request_context():
            try:
                self.value = self.work()
            except Exception as exc:  # the test inspects it
                self.error = exc
            finally:
                db.session.remove()
                self.finished_at = time.monotonic()


def _pause(monkeypatch, module, name, thread_name, *, after=False):
    """Make ``module.name`` stop (before or after running) in the thread ``thread_name``
    until released; returns (reached, release) events."""
    reached, release = threading.Event(), threading.Event()
    original = getattr(module, name)

    def paused(*args, **kwargs):
        mine = threading.current_thread().name == thread_name
        if mine and not after:
            reached.set()
            assert release.wait(30)
        value = original(*args, **kwargs)
        if mine and after:
            reached.set()
            assert release.wait(30)
        return value

    monkeypatch.setattr(module, name, paused)
    return reached, release


def _close(app, campaign_id, agent_id):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    def work():
        with write_transaction():
            services.move_to_phase(
                db.session.get(Campaign, campaign_id), "results", db.session.get(User, agent_id)
            )

    return Side(app, "close", work)


def _counted(app, campaign_id, district_id):
    from plugins.participatory_budget.models import Campaign

    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        return campaign.phase, (campaign.results or {}).get(str(district_id), {}).get("ballots")


def _codes(app, campaign_id, agent_id, count=1):
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.models import Campaign

    with app.test_request_context():
        with write_transaction():
            _batch, codes = voting.generate_codes(
                db.session.get(Campaign, campaign_id), count, db.session.get(User, agent_id)
            )
        return [code for _n, code in codes]


def _channel_work(app, make_user, channel, campaign_id, district_id, project_id, agent_id):
    """The work of one ballot (or paper entry) on ``channel``, as its page or API does it."""
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.models import Campaign, District

    def loaded():
        return db.session.get(Campaign, campaign_id), db.session.get(District, district_id)

    if channel == "web":
        user_id = resident(make_user, "tardive@pb.example")

        def work():
            with write_transaction():
                campaign, district = loaded()
                user = db.session.get(User, user_id)
                return voting.vote_as_resident(campaign, district, user, {project_id: 1})[0]

    elif channel == "api":
        token = token_for(app, resident(make_user, "api@pb.example"))

        def work():
            return _api_ballot(
                app, campaign_id, {"projects": [project_id]}, {"Authorization": f"Bearer {token}"}
            )

    elif channel == "api-code":  # prepared before the write lock (voting.prepare_code_ballot)
        (code,) = _codes(app, campaign_id, agent_id)

        def work():
            return _api_ballot(app, campaign_id, {"code": code, "projects": [project_id]})

    elif channel == "code":
        (code,) = _codes(app, campaign_id, agent_id)

        def work():
            with write_transaction():
                campaign, district = loaded()
                return voting.vote_with_code(campaign, district, code, {project_id: 1})[0]

    elif channel == "kiosk":
        (code,) = _codes(app, campaign_id, agent_id)
        with app.test_request_context():
            with write_transaction():
                kiosk, _token = voting.open_kiosk(
                    db.session.get(Campaign, campaign_id), "Mairie", db.session.get(User, agent_id)
                )
            kiosk_id = kiosk.id

        def work():
            from plugins.participatory_budget.models import KioskSession

            with write_transaction():
                campaign, district = loaded()
                key = voting.kiosk_voter_key(campaign, code)
                kiosk = db.session.get(KioskSession, kiosk_id)
                return voting.vote_at_kiosk(kiosk, campaign, district, key, {project_id: 1})

    else:  # paper: an agent enters a sheet for the first time
        other_id = make_user("saisie@pb.example", roles=("agent",))

        def work():
            with write_transaction():
                campaign, district = loaded()
                agent = db.session.get(User, other_id)
                return voting.enter_paper_entry(campaign, district, "A-1", {project_id: 1}, agent)

    return work


def _api_ballot(app, campaign_id, payload, headers=None):
    response = app.test_client().post(
        f"/api/v1/budgets/{campaign_id}/ballots", json=payload, headers=headers or {}
    )
    body = response.get_json()
    if response.status_code not in (200, 201):
        error = body["error"]
        raise RuleError(error["message"], status=error["status"], code=error.get("code"))
    return body["receipt"]


def _pending_sheets(app, campaign_id):
    from plugins.participatory_budget.models import PaperSheet

    with app.app_context():
        return db.session.scalars(
            select(PaperSheet.number).where(
                PaperSheet.campaign_id == campaign_id, PaperSheet.status == "pending"
            )
        ).all()


@pytest.mark.parametrize("channel", ["web", "code", "api-code", "paper"])
def test_a_ballot_in_flight_is_counted_by_the_close_that_waits_for_it(
    app, make_user, monkeypatch, channel
):
    from plugins.participatory_budget import voting

    campaign_id, district_id, ids, agent_id = vote_campaign(app, make_user)
    work = _channel_work(app, make_user, channel, campaign_id, district_id, ids[0], agent_id)
    if channel == "api-code":
        # Checked before the write lock: the ballot stops once it claimed its code under the
        # lock (reading the phase in the same statement), before it commits.
        reached, release = _pause(monkeypatch, voting, "_claim_code", "ballot", after=True)
    else:
        # The ballot stops after it read the phase, before it writes anything.
        reached, release = _pause(monkeypatch, voting, "check_ballot", "ballot")
    ballot = Side(app, "ballot", work)
    ballot.start()
    assert reached.wait(30), "the ballot never reached its check"
    close = _close(app, campaign_id, agent_id)
    close.start()
    close.join(WAIT)
    released_at = time.monotonic()
    release.set()
    ballot.join(30)
    close.join(30)
    assert not ballot.is_alive() and not close.is_alive()
    assert ballot.error is None, ballot.error
    # The close waited for the ballot in flight...
    assert close.finished_at >= released_at
    phase, counted = _counted(app, campaign_id, district_id)
    if channel == "paper":
        # ...and then saw the sheet awaiting its second entry: it refuses to close.
        assert isinstance(close.error, RuleError) and close.error.code == "paper_unfinished"
        assert phase == "vote" and _pending_sheets(app, campaign_id) == ["A-1"]
    else:
        # ...and counted it.
        assert close.error is None, close.error
        assert phase == "results"
        assert len(ballot_rows(app, campaign_id)) == 1
        assert counted == 1


@pytest.mark.parametrize("channel", ["web", "api", "code", "api-code", "kiosk", "paper"])
def test_a_ballot_sent_while_the_vote_closes_waits_and_is_refused(
    app, make_user, monkeypatch, channel
):
    from plugins.participatory_budget import results

    campaign_id, district_id, ids, agent_id = vote_campaign(app, make_user)
    work = _channel_work(app, make_user, channel, campaign_id, district_id, ids[0], agent_id)
    # The close stops once it has counted, before it commits.
    reached, release = _pause(monkeypatch, results, "compute_results", "close", after=True)
    close = _close(app, campaign_id, agent_id)
    close.start()
    assert reached.wait(30), "the close never counted"
    ballot = Side(app, "ballot", work)
    ballot.start()
    ballot.join(WAIT)
    assert ballot.is_alive(), "the ballot went ahead while the vote was closing"
    release.set()
    close.join(30)
    ballot.join(30)
    assert close.error is None, close.error
    assert isinstance(ballot.error, RuleError), ballot.value
    assert ballot.error.code == "vote_closed" and ballot.error.status == 409
    assert str(ballot.error.message) == "Le vote n'est pas ouvert."
    assert _counted(app, campaign_id, district_id) == ("results", 0)
    assert ballot_rows(app, campaign_id) == []
    assert _pending_sheets(app, campaign_id) == []


def test_a_ballot_with_problems_sent_while_the_vote_closes_is_refused_as_closed(
    app, make_user, monkeypatch
):
    """A code ballot over the envelope, sent through the API while the close is counting:
    it waits for the close (on PostgreSQL its refusal reads the phase under the campaign
    row's shared lock, as SQLite's write transaction waits) and is answered "The vote is not
    open." (409), on both engines. A 422 (over budget) would invite the voter to correct a
    ballot that can no longer be counted; before the close, the same ballot gets its 422."""
    from plugins.participatory_budget import results

    campaign_id, district_id, ids, agent_id = vote_campaign(app, make_user)
    before, during = _codes(app, campaign_id, agent_id, count=2)
    over = list(ids)  # 140,000 € for an envelope of 100,000 €
    with pytest.raises(RuleError) as refused:
        _api_ballot(app, campaign_id, {"code": before, "projects": over})
    assert refused.value.status == 422 and refused.value.code == "over_budget"
    reached, release = _pause(monkeypatch, results, "compute_results", "close", after=True)
    close = _close(app, campaign_id, agent_id)
    close.start()
    assert reached.wait(30), "the close never counted"
    ballot = Side(
        app, "ballot", lambda: _api_ballot(app, campaign_id, {"code": during, "projects": over})
    )
    ballot.start()
    # Shorter than WAIT: a ballot that did not wait is answered at once, and with a 422.
    ballot.join(0.3)
    assert ballot.is_alive(), "the ballot was answered while the vote was closing"
    release.set()
    close.join(30)
    ballot.join(30)
    assert close.error is None, close.error
    assert isinstance(ballot.error, RuleError), ballot.value
    assert (ballot.error.status, ballot.error.code) == (409, "vote_closed")
    assert _counted(app, campaign_id, district_id) == ("results", 0)
