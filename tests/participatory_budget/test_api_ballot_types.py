"""``POST /api/v1/budgets/<id>/ballots`` for every ballot type, with a resident's token and with
a one-time code (the code's path is prepared before the write: ``voting.vote_box``): a valid
ballot is stored as sent (cumulative points included), an invalid one is answered 422 with the
engine's problem code and stores nothing, and a used code stays usable after a refusal."""

from __future__ import annotations

import pytest
from pb_helpers import resident, token_for, vote_campaign
from sqlalchemy import select

from hub.db import write_transaction
from hub.extensions import db


def _codes(app, campaign_id, count):
    from hub.audit import SYSTEM
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.models import Campaign

    with app.test_request_context():
        with write_transaction():
            _batch, codes = voting.generate_codes(
                db.session.get(Campaign, campaign_id), count, SYSTEM
            )
    return [code for _n, code in codes]


def _lines(app, campaign_id):
    from plugins.participatory_budget.models import Ballot, BallotLine

    with app.app_context():
        rows = db.session.execute(
            select(BallotLine.ballot_id, BallotLine.project_id, BallotLine.points)
            .join(Ballot, Ballot.id == BallotLine.ballot_id)
            .where(Ballot.campaign_id == campaign_id)
        ).all()
    ballots: dict[str, dict[int, int]] = {}
    for ballot_id, project_id, points in rows:
        ballots.setdefault(ballot_id, {})[project_id] = points
    return sorted(ballots.values(), key=lambda b: sorted(b.items()))


@pytest.mark.parametrize("channel", ["token", "code"])
def test_cumulative_points_through_the_api(app, client, make_user, channel):
    campaign_id, _district, (p1, p2, p3, _p4), _agent = vote_campaign(
        app, make_user, vote_type="cumulative", max_points=5, knapsack=False
    )
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    if channel == "token":
        headers = {"Authorization": f"Bearer {token_for(app, resident(make_user, 'p@pb.ex'))}"}
        send = lambda body: client.post(url, json=body, headers=headers)  # noqa: E731
    else:
        (code,) = _codes(app, campaign_id, 1)
        send = lambda body: client.post(url, json={"code": code, **body})  # noqa: E731
    # Six points of five: refused with the engine's code, nothing stored, the code still usable.
    refused = send({"points": {str(p1): 4, str(p2): 2}})
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["error"]["code"] == "too_many_points"
    assert _lines(app, campaign_id) == []
    accepted = send({"points": {str(p1): 3, str(p3): 2}})
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["receipt"]
    assert _lines(app, campaign_id) == [{p1: 3, p3: 2}]


@pytest.mark.parametrize("channel", ["token", "code"])
def test_approval_limits_and_districts_through_the_api(app, client, make_user, channel):
    """Approval without an envelope, two or three projects, two districts: each rule refused
    with its code (a project of the other district: wrong_district), then a ballot stored."""
    from pb_helpers import accept, campaign, make_agent, move, propose

    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    campaign_id, (north, south) = campaign(
        app,
        agent_id,
        envelopes=(("Nord", 100_000, None), ("Sud", 100_000, None)),
        knapsack=False,
        min_projects=2,
        max_projects=3,
    )
    ids = []
    for n in range(4):
        ids.append(propose(app, campaign_id, north, author_id, f"Projet nord {n}", 10_000))
    elsewhere = propose(app, campaign_id, south, author_id, "Projet sud", 10_000)
    for pid in (*ids, elsewhere):
        accept(app, pid, agent_id)
    move(app, campaign_id, agent_id, "feasibility")
    move(app, campaign_id, agent_id, "vote")
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    if channel == "token":
        headers = {"Authorization": f"Bearer {token_for(app, resident(make_user, 'a@pb.ex'))}"}
        send = lambda body: client.post(url, json=body, headers=headers)  # noqa: E731
    else:
        (code,) = _codes(app, campaign_id, 1)
        send = lambda body: client.post(url, json={"code": code, **body})  # noqa: E731
    for body, problem in (
        ({"district": north, "projects": ids[:1]}, "too_few_projects"),
        ({"district": north, "projects": ids}, "too_many_projects"),
        ({"district": north, "projects": [ids[0], elsewhere]}, "wrong_district"),
    ):
        response = send(body)
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["error"]["code"] == problem, response.get_json()
    assert _lines(app, campaign_id) == []
    response = send({"district": north, "projects": ids[:2]})
    assert response.status_code == 201, response.get_json()
    assert _lines(app, campaign_id) == [{ids[0]: 1, ids[1]: 1}]
