"""The vote: the ballot form without JavaScript, the confirmation step, replacement, secrecy,
the embargo on counts, the API, paper ballots and voting codes, then results and the export
anyone can recompute."""

from __future__ import annotations

import json

import pytest
from pb_helpers import (
    ballot_rows,
    csrf_from,
    move,
    resident,
    token_for,
    vote_campaign,
)
from sqlalchemy import inspect

from hub.extensions import db


def _vote(client, campaign_id, district_id, project_ids, action="review"):
    url = f"/budgets/{campaign_id}/vote/{district_id}"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(True)),
            "project": [str(p) for p in project_ids],
            "action": action,
        },
    )


def _confirm(client, campaign_id, district_id):
    url = f"/budgets/{campaign_id}/vote/{district_id}/confirm"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(True))})


def test_vote_on_the_web_with_confirmation_and_replacement(app, client, auth, make_user):
    campaign_id, district_id, (p1, p2, p3, p4), _agent = vote_campaign(app, make_user)
    resident(make_user, "votante@pb.example")
    auth.login("votante@pb.example")

    # Over the envelope (40,000 + 30,000 + 50,000 > 100,000): refused with the engine's reason.
    response = _vote(client, campaign_id, district_id, [p1, p2, p3])
    assert response.status_code == 422
    assert "120" in response.get_data(True)  # the total is announced

    # Saving the draft keeps the choices, announces what remains, records nothing.
    response = _vote(client, campaign_id, district_id, [p1, p2], action="update")
    assert response.status_code == 200
    assert 'data-announce="' in response.get_data(True)
    assert ballot_rows(app, campaign_id) == []

    response = _vote(client, campaign_id, district_id, [p1, p2])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/confirm")
    assert ballot_rows(app, campaign_id) == []  # not before the confirmation
    response = _confirm(client, campaign_id, district_id)
    assert response.status_code == 302
    receipt_page = client.get(response.headers["Location"]).get_data(True)
    assert ballot_rows(app, campaign_id) == [sorted([p1, p2])]
    assert "-" in receipt_page

    # A second ballot replaces the first: still one ballot, the last one.
    _vote(client, campaign_id, district_id, [p3, p4])
    _confirm(client, campaign_id, district_id)
    assert ballot_rows(app, campaign_id) == [sorted([p3, p4])]


def test_ballots_cannot_be_joined_to_voters(app):
    """Schema check: who voted and what was voted share no column that joins them."""
    with app.app_context():
        inspector = inspect(db.engine)
        ballot_tables = ("participatory_budget_ballot", "participatory_budget_ballot_line")
        voter_tables = (
            "participatory_budget_participation",
            "participatory_budget_participation_district",
            "participatory_budget_code",
            "user",
        )
        for table in ballot_tables:
            columns = {c["name"] for c in inspector.get_columns(table)}
            assert not columns & {"user_id", "voter_key", "participation_id", "code_id"}, table
            assert not {c["name"] for c in inspector.get_columns(table)} & {"created_at"}
            for fk in inspector.get_foreign_keys(table):
                assert fk["referred_table"] not in voter_tables, (table, fk)
        for table in voter_tables[:3]:
            for fk in inspector.get_foreign_keys(table):
                assert fk["referred_table"] not in ballot_tables, (table, fk)
        ballot_pk = inspector.get_pk_constraint("participatory_budget_ballot")
        column = next(
            c for c in inspector.get_columns("participatory_budget_ballot") if c["name"] == "id"
        )
        assert ballot_pk["constrained_columns"] == ["id"]
        assert "CHAR" in str(column["type"]).upper()  # a random id, not a sequence


def test_no_count_leaks_before_the_results(app, client, auth, make_user):
    campaign_id, district_id, (p1, p2, *_), agent_id = vote_campaign(app, make_user)
    resident(make_user, "votante@pb.example")
    auth.login("votante@pb.example")
    _vote(client, campaign_id, district_id, [p1])
    _confirm(client, campaign_id, district_id)
    auth.logout()

    api = client.get(f"/api/v1/budgets/{campaign_id}").get_json()
    assert all("votes" not in p for p in api["projects"])
    assert "results" not in api
    assert client.get(f"/budgets/{campaign_id}/results").status_code == 404
    assert client.get(f"/budgets/{campaign_id}/export.pb").status_code == 404
    page = client.get(f"/budgets/projects/{p1}").get_data(True)
    assert "1 vote" not in page and "1 voix" not in page
    auth.login("agent@pb.example")  # staff do not see counts either
    assert client.get(f"/budgets/{campaign_id}/results").status_code == 404
    assert client.get(f"/budgets/{campaign_id}/export.pb").status_code == 404
    manage = client.get(f"/budgets/{campaign_id}/manage").get_data(True)
    assert "1 vote" not in manage

    move(app, campaign_id, agent_id, "results")
    api = client.get(f"/api/v1/budgets/{campaign_id}").get_json()
    assert {p["id"]: p.get("votes") for p in api["projects"]}[p1] == 1
    assert client.get(f"/budgets/{campaign_id}/results").status_code == 200


def test_api_ballots_statuses(app, client, make_user):
    campaign_id, district_id, (p1, p2, p3, p4), _agent = vote_campaign(app, make_user)
    voter = resident(make_user, "api@pb.example")
    token = token_for(app, voter)
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    headers = {"Authorization": f"Bearer {token}"}

    assert client.post(url, json={"projects": [p1]}).status_code == 401
    response = client.post(url, json={"projects": [p1, p2, p3]}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "over_budget"
    response = client.post(url, json={"projects": [p1]}, headers=headers)
    assert response.status_code == 201
    receipt = response.get_json()["receipt"]
    response = client.post(url, json={"projects": [p2]}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["receipt"] == receipt
    assert ballot_rows(app, campaign_id) == [[p2]]


def test_a_resident_votes_in_at_most_districts_per_voter_districts(app, client, make_user):
    """Two city-wide districts, one vote allowed: the second district is refused (422) and
    leaves the first ballot as it was; the first district's ballot can still be replaced."""
    from pb_helpers import accept, campaign, make_agent, propose

    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    campaign_id, (north, south) = campaign(
        app,
        agent_id,
        envelopes=(("Nord", 100_000, None), ("Sud", 100_000, None)),
        districts_per_voter=1,
    )
    projects = {}
    for district_id, titles in ((north, ("Bancs au nord", "Arbres au nord")), (south, ("Sud",))):
        for title in titles:
            pid = propose(app, campaign_id, district_id, author_id, title, 20_000)
            accept(app, pid, agent_id)
            projects.setdefault(district_id, []).append(pid)
    move(app, campaign_id, agent_id, "feasibility")
    move(app, campaign_id, agent_id, "vote")
    token = token_for(app, resident(make_user, "deux@pb.example"))
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    headers = {"Authorization": f"Bearer {token}"}
    (n1, n2), (s1,) = projects[north], projects[south]

    first = client.post(url, json={"district": north, "projects": [n1]}, headers=headers)
    assert first.status_code == 201
    refused = client.post(url, json={"district": south, "projects": [s1]}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "too_many_districts"
    assert ballot_rows(app, campaign_id) == [[n1]]
    again = client.post(url, json={"district": north, "projects": [n2]}, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["receipt"] == first.get_json()["receipt"]
    assert ballot_rows(app, campaign_id) == [[n2]]


def test_voting_codes_are_usable_once(app, client, make_user):
    from plugins.participatory_budget.models import Campaign
    from plugins.participatory_budget.voting import generate_codes

    campaign_id, district_id, (p1, p2, *_), agent_id = vote_campaign(app, make_user)
    with app.test_request_context():
        from hub.accounts.models import User
        from hub.db import write_transaction

        with write_transaction():
            _batch, codes = generate_codes(
                db.session.get(Campaign, campaign_id), 3, db.session.get(User, agent_id)
            )
    code = codes[0][1]
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    assert client.post(url, json={"code": "NOPE-NOPE-NOPE", "projects": [p1]}).status_code == 403
    assert client.post(url, json={"code": code, "projects": [p1]}).status_code == 201
    response = client.post(url, json={"code": code.lower(), "projects": [p2]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "code_used"
    assert ballot_rows(app, campaign_id) == [[p1]]


def test_results_export_recomputes_the_published_winners(app, client, make_user, tmp_path):
    from plugins.participatory_budget.engine import read_pabulib, verify_audit

    campaign_id, district_id, (p1, p2, p3, p4), agent_id = vote_campaign(app, make_user)
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    ballots = [[p1, p2], [p1], [p3, p4], [p3], [p3, p2], [p4]]
    for n, chosen in enumerate(ballots):
        token = token_for(app, resident(make_user, f"v{n}@pb.example"))
        response = client.post(
            url, json={"projects": chosen}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201
    move(app, campaign_id, agent_id, "results")

    export = client.get(f"/budgets/{campaign_id}/export.pb")
    assert export.status_code == 200
    election = read_pabulib(export.data)
    assert len(election.ballots) == len(ballots)
    record = client.get(f"/api/v1/budgets/{campaign_id}").get_json()["results"][str(district_id)][
        "audit"
    ]
    assert verify_audit(election, record) == []
    # Greedy by votes: p3 (4 votes, 50,000), then p1 (2), p2 (2) ... within 100,000.
    pb = {
        p["id"]: p["pabulib_id"]
        for p in client.get(f"/api/v1/budgets/{campaign_id}").get_json()["projects"]
    }
    assert record["winners"][0] == pb[p3]
    path = tmp_path / "export.pb"
    path.write_bytes(export.data)
    from click.testing import CliRunner

    from plugins.participatory_budget.cli import pb as pb_cli

    out = CliRunner().invoke(pb_cli, ["compute", str(path), "--json"])
    assert out.exit_code == 0, out.output
    computed = json.loads(out.output)
    assert computed["winners"] == record["winners"]
    assert computed["matches_published"] is True

    page = client.get(f"/budgets/projects/{p4}").get_data(True)
    assert "2 votes" in page or "2 voix" in page

    # Turnout of the city-wide district against the commune's population: 6 ballots of 600.
    # In French: a decimal comma where there are decimals, a narrow no-break space before "%".
    results_url = f"/budgets/{campaign_id}/results"
    client.set_cookie("hub_lang", "fr")
    assert "<td>1\u202f%</td>" not in client.get(results_url).get_data(True)
    from hub.settings import SiteSetting, bump_generation

    with app.app_context():
        db.session.merge(SiteSetting(key="population", value=600))
        bump_generation()
        db.session.commit()
    assert "<td>1\u202f%</td>" in client.get(results_url).get_data(True)


@pytest.mark.parametrize("rule", ["equalshares/add1"])
def test_method_of_equal_shares_results(app, client, make_user, rule):
    campaign_id, district_id, (p1, p2, p3, p4), agent_id = vote_campaign(app, make_user, rule=rule)
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    for n, chosen in enumerate([[p1], [p1, p2], [p3], [p4], [p3, p4]]):
        token = token_for(app, resident(make_user, f"m{n}@pb.example"))
        client.post(url, json={"projects": chosen}, headers={"Authorization": f"Bearer {token}"})
    move(app, campaign_id, agent_id, "results")
    page = client.get(f"/budgets/{campaign_id}/results")
    assert page.status_code == 200
    for pid in (p1, p2, p3, p4):
        assert client.get(f"/budgets/projects/{pid}").status_code == 200


def test_a_resident_ballot_is_few_statements_on_postgresql(app, client, make_user):
    """The hot path of a voting day on PostgreSQL: after the campaign is loaded, a resident's
    ballot (first or replacing) is the phase read under its lock, the participation upserted
    (and locked) and one statement for the district, the replaced ballot and the new one."""
    from query_count import counting

    from hub.db import is_sqlite

    with app.app_context():
        if is_sqlite(db.engine):
            pytest.skip("PostgreSQL's statements (SQLite runs the portable path)")
    campaign_id, _district_id, ids, _agent = vote_campaign(app, make_user)
    token = token_for(app, resident(make_user, "rapide@pb.example"))
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    headers = {"Authorization": f"Bearer {token}"}
    client.post(url, json={"projects": [ids[0]]}, headers=headers)  # costs now cached
    for n, status in ((1, 200), (2, 200)):
        with counting(app) as statements:
            response = client.post(url, json={"projects": [ids[n]]}, headers=headers)
        assert response.status_code == status
        budget = [s for s in statements if "participatory_budget_" in s]
        assert len(budget) == 4, budget  # campaign, its phase FOR SHARE, participation, ballot
    assert ballot_rows(app, campaign_id) == [[ids[2]]]


@pytest.mark.parametrize("vote_type", ["approval", "cumulative"])
def test_api_ballots_refuse_ids_no_database_holds(app, client, make_user, vote_type):
    """Ids and points out of the database's range, in other digits, floats, Infinity or NaN
    are refused with 422 and a message (they overflowed in the query, a 500): issue 11's
    attack pass."""
    settings = {"vote_type": vote_type, "max_points": 5} if vote_type == "cumulative" else {}
    campaign_id, _district, (p1, *_rest), _agent = vote_campaign(app, make_user, **settings)
    headers = {"Authorization": f"Bearer {token_for(app, resident(make_user, 'x@pb.example'))}"}
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    key = "points" if vote_type == "cumulative" else "projects"
    hostile = [str(2**31), "9" * 30, "9" * 5000, "\u0661\u0662", "1.5"]
    bodies = [
        json.dumps({key: {h: 1 for h in hostile}}),
        json.dumps({key: {str(p1): 2**31}}),
        f'{{"{key}": {{"{p1}": Infinity}}}}',
        f'{{"{key}": {{"{p1}": NaN}}}}',
    ]
    if key == "projects":
        bodies = [
            json.dumps({key: [2**31]}),
            json.dumps({key: [10**30]}),
            json.dumps({key: hostile}),
            f'{{"{key}": [1e300]}}',
            f'{{"{key}": [Infinity]}}',
            f'{{"{key}": [{p1}], "district": {2**31}}}',
        ]
    for body in bodies:
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 422, (body[:60], response.status_code)
        assert response.get_json()["error"]["message"], body[:60]
    assert ballot_rows(app, campaign_id) == []


def test_the_export_orders_ballots_by_their_random_id_never_by_casting_time(
    app, client, make_user, monkeypatch
):
    """Exports shuffle ballots: they are written in the order of their random ids and
    renumbered, so the file's order says nothing of who voted when."""
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.engine import read_pabulib
    from plugins.participatory_budget.models import new_ballot_id

    drawn = {new_ballot_id() for _n in range(20)}
    assert len(drawn) == 20 and all(len(i) == 32 and int(i, 16) >= 0 for i in drawn)
    campaign_id, _district_id, (p1, p2, p3, p4), agent_id = vote_campaign(app, make_user)
    # Ids that sort in the reverse of the casting order: an export in casting order fails.
    ids = iter(f"{n:032x}" for n in range(100, 0, -1))
    monkeypatch.setattr(voting, "new_ballot_id", lambda: next(ids))
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    cast = [p1, p2, p3, p4]
    for n, chosen in enumerate(cast):
        token = token_for(app, resident(make_user, f"ordre{n}@pb.example"))
        response = client.post(
            url, json={"projects": [chosen]}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201
    move(app, campaign_id, agent_id, "results")
    pb = {
        p["id"]: p["pabulib_id"]
        for p in client.get(f"/api/v1/budgets/{campaign_id}").get_json()["projects"]
    }
    election = read_pabulib(client.get(f"/budgets/{campaign_id}/export.pb").data)
    assert [list(b.projects) for b in election.ballots] == [[pb[p]] for p in reversed(cast)]
    assert [b.voter_id for b in election.ballots] == ["1", "2", "3", "4"]
