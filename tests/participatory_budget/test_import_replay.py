"""``hub pb import`` / ``codes`` / ``close`` / ``results`` on real Pabulib data: the ballots of a
real vote replayed through the ballot box with one-time codes give the city's published winners,
and the export keeps what the file said."""

from __future__ import annotations

import json

import pytest

from hub.db import write_transaction
from hub.extensions import db


@pytest.mark.parametrize(
    "name", ["Netherlands_Assen_2024.pb", "France_Toulouse_2022_6_-_Saint-Cyprien.pb"]
)
def test_replayed_real_vote_gives_the_published_winners(app, client, pabulib_dir, tmp_path, name):
    from plugins.participatory_budget.engine import compute, published_winners, read_pabulib
    from plugins.participatory_budget.models import BudgetProject, Campaign
    from plugins.participatory_budget.voting import vote_with_code

    source = read_pabulib(pabulib_dir / name)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pb", "import", str(pabulib_dir / name), "--campaign", name])
    assert result.exit_code == 0, result.output
    codes_file = tmp_path / "codes.csv"
    result = runner.invoke(
        args=["pb", "codes", name, "--count", str(len(source.ballots)), "--out", str(codes_file)]
    )
    assert result.exit_code == 0, result.output
    codes = [line.split(";")[2] for line in codes_file.read_text().splitlines()[1:]]
    assert len(set(codes)) == len(source.ballots)

    with app.test_request_context():
        campaign = db.session.scalar(db.select(Campaign).where(Campaign.title == name))
        ids = dict(
            db.session.execute(
                db.select(BudgetProject.pabulib_id, BudgetProject.id).where(
                    BudgetProject.campaign_id == campaign.id
                )
            ).all()
        )
        campaign_id, district = campaign.id, campaign.districts[0]
        for ballot, code in zip(source.ballots, codes):
            with write_transaction():
                vote_with_code(campaign, district, code, {ids[p]: 1 for p in ballot.projects})

    result = runner.invoke(args=["pb", "close", name])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["pb", "results", name, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    expected = published_winners(source)
    if expected is None:  # Toulouse publishes no `selected`: the engine on the file decides
        expected = set(compute(source).winners)
    assert set(payload["winners"]) == expected
    assert payload["audit"]["rule"] == compute(source).rule

    export = client.get(f"/budgets/{campaign_id}/export.pb")
    assert export.status_code == 200
    published = read_pabulib(export.data)
    assert len(published.ballots) == len(source.ballots)
    for key in ("country", "unit", "instance", "description"):
        if key in source.meta:
            assert published.meta[key] == source.meta[key]
    assert published_winners(published) == expected
    assert set(compute(published).winners) == expected
