"""Once the results are published, a project's page says why it won or lost, with the count's
own figures (the engine's explanation): here greedy, a project that no longer fit."""

from __future__ import annotations

from pb_helpers import move, vote_campaign

from hub.db import write_transaction
from hub.extensions import db


def _text(response) -> str:
    """The page with its no-break spaces (amounts: ``30,000\u00a0€``) as plain spaces."""
    assert response.status_code == 200
    return response.get_data(True).replace("\u00a0", " ").replace("\u202f", " ")


def test_a_lost_project_page_explains_why_with_the_counts_figures(app, client, make_user):
    from plugins.participatory_budget import voting
    from plugins.participatory_budget.models import Campaign, District

    # 40,000, 30,000, 50,000 and 20,000 € for an envelope of 100,000 €; approval ballots.
    campaign_id, district_id, (p1, p2, p3, p4), agent_id = vote_campaign(
        app, make_user, rule="greedy", knapsack=False
    )
    with app.test_request_context():
        with write_transaction():
            c = db.session.get(Campaign, campaign_id)
            d = db.session.get(District, district_id)
            for n, choice in enumerate(([p3, p1, p2], [p3, p1, p2], [p3, p1], [p3])):
                voting.cast(c, d, f"test:{n}", dict.fromkeys(choice, 1), channel="paper")
    project = f"/budgets/projects/{p2}"
    client.set_cookie("hub_lang", "en")
    before = client.get(project).get_data(True)
    assert "Not funded" not in before and "Ranked" not in before  # nothing before the results
    move(app, campaign_id, agent_id, "results")
    # p3 (4 votes, 50,000 €) and p1 (3 votes, 40,000 €) funded; p2 (2 votes) finds 10,000 €.
    page = _text(client.get(project))
    assert "Ranked 3 with 2 votes; it costs 30,000 €." in page, page
    assert (
        "Not funded: when its turn came, only 10,000 € of the envelope remained, less than its"
        " cost; the count went on with the next projects." in page
    )
    funded = _text(client.get(f"/budgets/projects/{p3}"))
    assert "Ranked 1 with 4 votes" in funded and "Funded: when its turn came" in funded
    unchosen = client.get(f"/budgets/projects/{p4}").get_data(True)
    assert "Not funded" in unchosen
