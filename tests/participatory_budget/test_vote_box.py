"""The API's code ballots, prepared before the write (``voting.vote_box``): what each worker
keeps of a campaign follows the campaign's row, and on PostgreSQL a ballot is one short
transaction."""

from __future__ import annotations

import pytest
from pb_helpers import accept, ballot_rows, campaign, move, propose, resident, vote_campaign
from sqlalchemy import event, text

from hub.db import is_sqlite, write_transaction
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


def test_a_campaign_recreated_with_the_same_id_gets_its_own_rules(app, client, make_user):
    """A worker keeps a campaign's rules and districts while it is in its vote, keyed by id
    and checked against the row's uuid: a campaign deleted and created again with the same id
    (a restored backup, a reused SQLite rowid) is judged by its own rules and districts."""
    campaign_id, old_district, ids, agent_id = vote_campaign(app, make_user)
    (first,) = _codes(app, campaign_id, 1)
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    # 40,000 € within the old envelope of 100,000 €: stored, and the campaign now cached.
    assert client.post(url, json={"code": first, "projects": [ids[0]]}).status_code == 201
    with app.app_context():
        with write_transaction():
            db.session.execute(
                text("DELETE FROM participatory_budget_campaign WHERE id = :id"),
                {"id": campaign_id},
            )
            if not is_sqlite():
                db.session.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence("
                        "'participatory_budget_campaign', 'id'), :id, false)"
                    ),
                    {"id": campaign_id},
                )
    author_id = resident(make_user, "autrice@pb.example")
    again, (district_id,) = campaign(
        app, agent_id, envelopes=(("Toute la commune", 50_000, None),), title="Budget refait"
    )
    assert again == campaign_id
    big = propose(app, again, district_id, author_id, "Un projet de 40 000 €", 40_000)
    small = propose(app, again, district_id, author_id, "Un projet de 20 000 €", 20_000)
    for pid in (big, small):
        accept(app, pid, agent_id)
    move(app, again, agent_id, "feasibility")
    move(app, again, agent_id, "vote")
    one, two = _codes(app, again, 2)
    # The old envelope (100,000 €) would take 60,000 €: the new one (50,000 €) refuses it.
    response = client.post(url, json={"code": one, "projects": [big, small]})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "over_budget"
    # A ballot within it goes to the new campaign's district, not the deleted one's.
    assert client.post(url, json={"code": two, "projects": [small]}).status_code == 201
    from plugins.participatory_budget.models import Ballot

    with app.app_context():
        assert db.session.scalars(db.select(Ballot.district_id)).all() == [district_id]
    assert ballot_rows(app, again) == [[small]]


def test_a_code_ballot_is_one_short_transaction_on_postgresql(app, client, make_user):
    """PostgreSQL: a code ballot through the API is one transaction of three statements
    (the settings' generation, the phase with the code, the ballot's one statement), with
    no check of the pooled connection: five round trips with BEGIN and COMMIT, instead of
    ten (two transactions, each on a checkout pinged first, separate phase and code reads)."""
    with app.app_context():
        if is_sqlite(db.engine):
            pytest.skip("PostgreSQL's round trips (SQLite's write needs BEGIN IMMEDIATE)")
        engine = db.engine
    campaign_id, _district_id, ids, _agent = vote_campaign(app, make_user)
    codes = _codes(app, campaign_id, 3)
    url = f"/api/v1/budgets/{campaign_id}/ballots"
    assert client.post(url, json={"code": codes[0], "projects": [ids[0]]}).status_code == 201
    seen: list[str] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen.append(" ".join(sql.split()))

    def begin(conn):
        seen.append("BEGIN")

    def commit(conn):
        seen.append("COMMIT")

    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(1) or original(dbapi_connection)
    listeners = (("before_cursor_execute", statement), ("begin", begin), ("commit", commit))
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        for code in codes[1:]:
            seen.clear()
            response = client.post(url, json={"code": code, "projects": [ids[1]]})
            assert response.status_code == 201
            assert seen[0] == "BEGIN" and seen[-1] == "COMMIT", seen
            assert len(seen) == 5, seen
            assert "participatory_budget_code" in seen[2] and seen[3].startswith("WITH"), seen
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)
        del engine.dialect.do_ping
    assert pings == []
    assert len(ballot_rows(app, campaign_id)) == 3
