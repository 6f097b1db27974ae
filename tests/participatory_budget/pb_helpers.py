"""Shared set-up of the participatory-budget web tests: a campaign walked through the same
services the pages use."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hub.accounts.models import ApiToken, User
from hub.db import write_transaction
from hub.extensions import db

ADULT = date(1980, 1, 1)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def submit(client, page_url: str, data: dict, action: str | None = None, **kwargs):
    """GET ``page_url``, take its CSRF token, POST ``data`` to ``action`` (default: same URL)."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    payload = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
    return client.post(action or page_url, data=payload, **kwargs)


DESCRIPTION = (
    "Des bancs et de l'ombre le long du mail, pour que les aînés puissent s'y reposer "
    "pendant l'été."
)


def staff(app):
    """A user object for service calls made by an agent."""
    with app.app_context():
        return db.session.scalar(db.select(User).where(User.email == "agent@pb.example"))


def make_agent(make_user):
    return make_user("agent@pb.example", roles=("agent",))


def resident(make_user, email, *, neighbourhood_id=None, **fields):
    fields.setdefault("birth_date", ADULT)
    return make_user(email, verified=True, neighbourhood_id=neighbourhood_id, **fields)


def dates(today: date | None = None) -> dict:
    today = today or date.today()
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    return {
        "submission": (d(-30), d(-20)),
        "feasibility": (d(-19), d(-1)),
        "vote": (d(0), d(14)),
        "results": (d(15), d(20)),
    }


def campaign(app, agent_id, *, envelopes=(("Toute la commune", 100_000, None),), **settings):
    """A campaign in the submission phase with its districts; returns (campaign id, district ids)."""
    from plugins.participatory_budget import services

    with app.test_request_context():
        agent = db.session.get(User, agent_id)
        with write_transaction():
            c = services.create_campaign(
                agent, title=settings.pop("title", "Budget participatif 2027"), **settings
            )
            services.set_phases(c, dates(), agent)
            ids = [
                services.add_district(c, agent, name=n, envelope=e, neighbourhood_id=nb).id
                for n, e, nb in envelopes
            ]
            services.move_to_phase(c, "submission", agent)
        return c.id, ids


def propose(app, campaign_id, district_id, author_id, title, cost):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign, District

    with app.test_request_context():
        with write_transaction():
            p = services.submit_project(
                db.session.get(Campaign, campaign_id),
                db.session.get(User, author_id),
                district=db.session.get(District, district_id),
                title=title,
                description=DESCRIPTION,
                estimated_cost=cost,
            )
        return p.id


def accept(app, project_id, agent_id, cost=None):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import BudgetProject

    with app.test_request_context():
        with write_transaction():
            p = db.session.get(BudgetProject, project_id)
            services.review_project(
                p,
                db.session.get(User, agent_id),
                decision="feasible",
                cost=cost or p.estimated_cost,
                cost_explanation="Devis des services techniques.",
            )


def move(app, campaign_id, agent_id, phase):
    from plugins.participatory_budget import services
    from plugins.participatory_budget.models import Campaign

    with app.test_request_context():
        with write_transaction():
            services.move_to_phase(
                db.session.get(Campaign, campaign_id), phase, db.session.get(User, agent_id)
            )


def vote_campaign(app, make_user, *, costs=(40_000, 30_000, 50_000, 20_000), **settings):
    """A campaign in the vote phase with one city-wide district of 100,000 € and feasible
    projects of the given costs; returns (campaign id, district id, project ids, agent id)."""
    agent_id = make_agent(make_user)
    author_id = resident(make_user, "auteur@pb.example")
    campaign_id, (district_id,) = campaign(app, agent_id, **settings)
    project_ids = []
    for n, cost in enumerate(costs, start=1):
        pid = propose(app, campaign_id, district_id, author_id, f"Projet numéro {n}", cost)
        accept(app, pid, agent_id)
        project_ids.append(pid)
    move(app, campaign_id, agent_id, "feasibility")
    move(app, campaign_id, agent_id, "vote")
    return campaign_id, district_id, project_ids, agent_id


def token_for(app, user_id) -> str:
    with app.app_context():
        _token, clear = ApiToken.issue(db.session.get(User, user_id), "test")
        db.session.commit()
        return clear


def ballot_rows(app, campaign_id):
    from plugins.participatory_budget.models import Ballot

    with app.app_context():
        return [
            sorted(line.project_id for line in b.lines)
            for b in db.session.scalars(
                db.select(Ballot).where(Ballot.campaign_id == campaign_id)
            ).all()
        ]
