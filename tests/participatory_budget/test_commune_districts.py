"""Commune districts (issue 14: "neighbourhood, city-wide, or commune inside a métropole"): a
resident of a neighbourhood votes on their commune's ballot and the city-wide one, never on
another commune's; staff add a commune district from the form."""

from __future__ import annotations

from pb_helpers import (
    accept,
    ballot_rows,
    csrf_from,
    dates,
    make_agent,
    move,
    propose,
    resident,
    submit,
    token_for,
)
from sqlalchemy import select

from hub.accounts.models import User
from hub.db import write_transaction
from hub.extensions import db


def _metropole(app):
    """Two communes with one neighbourhood each: (commune A, B, neighbourhood of A, of B)."""
    from hub.territory.models import Commune, Neighbourhood

    with app.app_context():
        a = Commune(name="Aubeville", population=12_000)
        b = Commune(name="Brisac", population=8_000)
        na = Neighbourhood(commune=a, name="Bourg d'Aubeville", slug="bourg-a")
        nb = Neighbourhood(commune=b, name="Bourg de Brisac", slug="bourg-b")
        db.session.add_all([a, b, na, nb])
        db.session.commit()
        return a.id, b.id, na.id, nb.id


def _voting(app, make_user, *, districts_per_voter):
    """A campaign in the vote phase with a city-wide district and one per commune, each with
    one feasible project; returns (campaign id, {district: id}, {district: project id}, hood A)."""
    from plugins.participatory_budget import services

    commune_a, commune_b, hood_a, hood_b = _metropole(app)
    agent_id = make_agent(make_user)
    author_a = resident(make_user, "auteur-a@pb.example", neighbourhood_id=hood_a)
    author_b = resident(make_user, "auteur-b@pb.example", neighbourhood_id=hood_b)
    with app.test_request_context():
        agent = db.session.get(User, agent_id)
        with write_transaction():
            c = services.create_campaign(
                agent, title="Budget de la métropole", districts_per_voter=districts_per_voter
            )
            services.set_phases(c, dates(), agent)
            ids = {
                "city": services.add_district(c, agent, name="Métropole", envelope=100_000).id,
                "a": services.add_district(
                    c, agent, name="Aubeville", envelope=50_000, commune_id=commune_a
                ).id,
                "b": services.add_district(
                    c, agent, name="Brisac", envelope=50_000, commune_id=commune_b
                ).id,
            }
            services.move_to_phase(c, "submission", agent)
        campaign_id = c.id
    projects = {}
    for key, author in (("city", author_a), ("a", author_a), ("b", author_b)):
        projects[key] = propose(app, campaign_id, ids[key], author, f"Projet de {key} 2027", 20_000)
        accept(app, projects[key], agent_id)
    move(app, campaign_id, agent_id, "feasibility")
    move(app, campaign_id, agent_id, "vote")
    return campaign_id, ids, projects, hood_a


def test_a_resident_votes_on_their_communes_ballot_and_city_wide_not_another(
    app, client, auth, make_user
):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign, District

    campaign_id, ids, projects, hood_a = _voting(app, make_user, districts_per_voter=2)
    voter_id = resident(make_user, "habitante-a@pb.example", neighbourhood_id=hood_a)
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        voter = db.session.get(User, voter_id)
        assert not db.session.get(District, ids["a"]).city_wide
        assert [d.id for d in services.districts_for(voter, campaign)] == [ids["city"], ids["a"]]

    auth.login("habitante-a@pb.example")
    assert client.get(f"/budgets/{campaign_id}/vote/{ids['b']}").status_code == 403
    url = f"/budgets/{campaign_id}/vote/{ids['a']}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Projet de a 2027" in page.get_data(True)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page.get_data(True)),
            "project": [str(projects["a"])],
            "action": "review",
        },
    )
    assert response.status_code == 302
    confirm = client.get(response.headers["Location"])
    done = client.post(
        response.headers["Location"], data={"csrf_token": csrf_from(confirm.get_data(True))}
    )
    assert done.status_code == 302
    assert ballot_rows(app, campaign_id) == [[projects["a"]]]

    token = token_for(app, voter_id)
    headers = {"Authorization": f"Bearer {token}"}
    api = f"/api/v1/budgets/{campaign_id}/ballots"
    refused = client.post(
        api, json={"district": ids["b"], "projects": [projects["b"]]}, headers=headers
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "wrong_district"
    city = client.post(
        api, json={"district": ids["city"], "projects": [projects["city"]]}, headers=headers
    )
    assert city.status_code == 201
    assert sorted(ballot_rows(app, campaign_id)) == sorted([[projects["a"]], [projects["city"]]])


def test_districts_per_voter_counts_commune_districts(app, client, make_user):
    campaign_id, ids, projects, hood_a = _voting(app, make_user, districts_per_voter=1)
    token = token_for(app, resident(make_user, "une-seule@pb.example", neighbourhood_id=hood_a))
    headers = {"Authorization": f"Bearer {token}"}
    api = f"/api/v1/budgets/{campaign_id}/ballots"
    first = client.post(
        api, json={"district": ids["a"], "projects": [projects["a"]]}, headers=headers
    )
    assert first.status_code == 201
    second = client.post(
        api, json={"district": ids["city"], "projects": [projects["city"]]}, headers=headers
    )
    assert second.status_code == 422
    assert second.get_json()["error"]["code"] == "too_many_districts"
    assert ballot_rows(app, campaign_id) == [[projects["a"]]]


def test_staff_form_adds_a_commune_district(app, client, auth, make_user):
    from plugins.participatory_budget.models import District

    commune_a, _b, _ha, _hb = _metropole(app)
    make_agent(make_user)
    auth.login("agent@pb.example")
    response = submit(
        client,
        "/budgets/new",
        {
            "title": "Budget de la métropole",
            "description": "Une enveloppe par commune.",
            "rule": "greedy",
            "tie_breaking": "lexicographic",
            "vote_type": "approval",
            "knapsack": "y",
            "min_share_percent": "0",
            "districts_per_voter": "2",
            "min_age": "16",
        },
    )
    assert response.status_code == 302
    manage_url = response.headers["Location"]
    campaign_id = int(manage_url.split("/")[2])
    manage = client.get(manage_url).get_data(True)
    assert 'name="commune_id"' in manage and "Brisac" in manage
    response = submit(
        client,
        manage_url,
        {
            "name": "Aubeville",
            "neighbourhood_id": "0",
            "commune_id": str(commune_a),
            "envelope": "50000",
        },
        action=f"/budgets/{campaign_id}/districts",
    )
    assert response.status_code == 302
    with app.app_context():
        district = db.session.scalar(select(District).where(District.campaign_id == campaign_id))
        assert district.commune_id == commune_a and district.neighbourhood_id is None
    twice = submit(
        client,
        manage_url,
        {
            "name": "Encore",
            "neighbourhood_id": "0",
            "commune_id": str(commune_a),
            "envelope": "50000",
        },
        action=f"/budgets/{campaign_id}/districts",
    )
    assert twice.status_code == 422
    assert "(territoire de la commune Aubeville)" in client.get(manage_url).get_data(True)


def test_a_communes_projects_reach_its_neighbourhoods(app, client, make_user):
    """A commune district's projects are shown on its neighbourhoods' pages, told in their
    weekly news and placed in them, never in another commune's."""
    from datetime import timedelta

    from hub.db import utcnow
    from hub.registry import registry
    from hub.territory.models import Neighbourhood
    from plugins.participatory_budget.models import BudgetProject
    from plugins.participatory_budget.plugin import hub_neighbourhood_news

    campaign_id, _ids, projects, hood_a = _voting(app, make_user, districts_per_voter=2)
    page = client.get("/territory/bourg-a").get_data(as_text=True)
    assert "Projet de a 2027" in page and "Projet de b 2027" not in page
    with app.test_request_context("/"):
        hood_b = db.session.scalar(select(Neighbourhood.id).where(Neighbourhood.slug == "bourg-b"))
        news = hub_neighbourhood_news(
            [hood_a, hood_b], utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1)
        )
        told = {(n.neighbourhood_id, n.title) for n in news}
        budget = "Budget de la métropole"
        assert any(place == hood_a and budget in text for place, text in told), told
        # Each commune's neighbourhood hears of its own commune's project (a city-wide
        # project is not news "near you").
        assert sorted(place for place, _text in told) == sorted([hood_a, hood_b]), told
        assert all(text.startswith("1 ") for _place, text in told), told
        place_of = registry().find("participatory_budget_project").neighbourhood_ids
        assert place_of(db.session.get(BudgetProject, projects["a"])) == [hood_a]
        assert place_of(db.session.get(BudgetProject, projects["city"])) == []
