"""The demo shows a commune a participatory budget at every phase: a campaign in preparation,
one open to proposals, one under feasibility review (a refusal with its reason, projects still
under review), one collecting supports, one voting, one with fresh results explained, and one
in implementation with milestones (a late one flagged)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.extensions import db
from plugins.participatory_budget.models import PHASES, BudgetProject, Campaign, Milestone


@pytest.fixture
def demo(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    return app


def test_a_campaign_at_every_phase(demo, client):
    from plugins.participatory_budget.services import campaign_projects

    with demo.app_context():
        campaigns = {c.phase: c for c in db.session.scalars(select(Campaign))}
        assert set(campaigns) == set(PHASES)
        for phase, campaign in campaigns.items():
            if phase != "draft":
                assert len(campaign.districts) == 3, phase  # city-wide and two neighbourhoods
                assert {p.kind for p in campaign.phases} >= {"submission", "vote", "results"}

        reviewing = campaigns["feasibility"]
        statuses = [p.status for p in campaign_projects(reviewing)]
        assert "submitted" in statuses and "feasible" in statuses
        refusal = next(p for p in campaign_projects(reviewing) if p.status == "out_of_scope")
        assert "département" in refusal.review_reason

        supporting = campaigns["supports"]
        assert sum(p.supports for p in campaign_projects(supporting)) > 0
        assert "supports" in {p.kind for p in supporting.phases}

        counted = campaigns["results"]
        assert counted.results and counted.counts_public
        assert {p.status for p in campaign_projects(counted)} >= {"selected", "not_selected"}

        done = campaigns["implementation"]
        milestones = db.session.scalars(
            select(Milestone).join(BudgetProject).where(BudgetProject.campaign_id == done.id)
        ).all()
        assert milestones
        ids = {phase: c.id for phase, c in campaigns.items()}
        lost = next(p.id for p in campaign_projects(counted) if p.status == "not_selected")

    assert "Des bancs" in client.get(f"/budgets/{ids['feasibility']}/projects").get_data(True)
    assert client.get(f"/budgets/{ids['supports']}/projects").status_code == 200
    results = client.get(f"/budgets/{ids['results']}/results")
    assert results.status_code == 200
    assert client.get(f"/budgets/projects/{lost}").status_code == 200
    listing = client.get("/budgets/").get_data(True)
    for phase in ("feasibility", "supports", "results"):
        assert f"/budgets/{ids[phase]}" in listing
