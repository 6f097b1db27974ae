"""The ballot box under concurrent requests, on a real server (gunicorn, 4 worker processes):
one resident sending 50 different ballots at once keeps exactly one, never over the envelope;
one voting code sent by 20 requests at once makes one ballot."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations

from pb_helpers import ballot_rows, resident, token_for, vote_campaign

from hub.extensions import db


def _post(url, payload, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _participations(app, campaign_id):
    from plugins.participatory_budget.models import Participation

    with app.app_context():
        return db.session.scalar(
            db.select(db.func.count())
            .select_from(Participation)
            .where(Participation.campaign_id == campaign_id)
        )


def test_fifty_ballots_at_once_leave_one_within_the_envelope(app, make_user, gunicorn_server):
    costs = (40_000, 30_000, 50_000, 20_000, 10_000, 60_000)
    campaign_id, _district, ids, _agent = vote_campaign(app, make_user, costs=costs)
    token = token_for(app, resident(make_user, "presse@pb.example"))
    cost_of = dict(zip(ids, costs))
    # Fifty different ballots of one to four projects, some over the envelope.
    ballots = [list(c) for n in (1, 2, 3, 4) for c in combinations(ids, n)][:50]
    assert len(ballots) == 50
    assert any(sum(cost_of[p] for p in b) > 100_000 for b in ballots)
    base = gunicorn_server(app, workers=4)
    url = f"{base}/api/v1/budgets/{campaign_id}/ballots"
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda b: _post(url, {"projects": b}, token), ballots))

    statuses = [status for status, _body in answers]
    accepted = [b for b, (status, _body) in zip(ballots, answers) if status in (200, 201)]
    over = [b for b in ballots if sum(cost_of[p] for p in b) > 100_000]
    assert statuses.count(422) == len(over)
    assert statuses.count(201) == 1  # the first accepted one; the others replaced it
    assert len(accepted) == 50 - len(over)
    receipts = {body["receipt"] for status, body in answers if status in (200, 201)}
    assert len(receipts) == 1  # the same voter, the same receipt

    stored = ballot_rows(app, campaign_id)
    assert len(stored) == 1
    assert sum(cost_of[p] for p in stored[0]) <= 100_000
    assert stored[0] in [sorted(b) for b in accepted]
    assert _participations(app, campaign_id) == 1


def test_one_code_sent_twenty_times_at_once_makes_one_ballot(app, make_user, gunicorn_server):
    from hub.accounts.models import User
    from hub.db import write_transaction
    from plugins.participatory_budget.models import Campaign
    from plugins.participatory_budget.voting import generate_codes

    campaign_id, _district, ids, agent_id = vote_campaign(app, make_user)
    with app.test_request_context():
        with write_transaction():
            _batch, codes = generate_codes(
                db.session.get(Campaign, campaign_id), 1, db.session.get(User, agent_id)
            )
    code = codes[0][1]
    base = gunicorn_server(app, workers=4)
    url = f"{base}/api/v1/budgets/{campaign_id}/ballots"
    choices = [[ids[n % len(ids)]] for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda b: _post(url, {"code": code, "projects": b}), choices))
    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [409] * 19
    assert len(ballot_rows(app, campaign_id)) == 1
    assert _participations(app, campaign_id) == 1
