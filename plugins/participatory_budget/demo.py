"""Demonstration budgets for Ormeval: one campaign in each main phase, with district envelopes,
a refusal with its reason, ballots of every channel, results with their explanations and the
milestones of a funded project. Everything goes through the services, as in real use."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from hub.plugin import (
    SYSTEM,
    Neighbourhood,
    RuleError,
    db,
    find_user_by_email,
    local_today,
    offline_request_context,
    write_transaction,
)

from . import services, voting
from .models import Campaign, Milestone

DESCRIPTION = (
    "Le budget participatif d'Ormeval finance des projets proposés et choisis par les "
    "habitantes et les habitants. Les services vérifient la faisabilité de chaque projet ; "
    "chaque décision est publiée avec sa raison.\n\n"
    "Le vote est secret. Les lauréats sont calculés selon la règle publiée, et chacun peut "
    "refaire le calcul à partir du fichier des bulletins."
)

IDEAS = [
    # district key (None: whole commune), title, cost, place
    (None, "Des fontaines à eau dans les parcs", 45_000, "Parcs municipaux"),
    (None, "Une ressourcerie mobile", 60_000, "Toute la commune"),
    (None, "Des abris vélos sécurisés aux arrêts de bus", 80_000, "Arrêts principaux"),
    (None, "Un festival de quartier itinérant", 25_000, "Places des quartiers"),
    ("centre-historique", "Des bancs et de l'ombre sur le mail", 18_000, "Mail Saint-Roch"),
    ("centre-historique", "Une boîte à livres devant la mairie", 2_500, "Parvis de la mairie"),
    (
        "centre-historique",
        "Végétaliser la cour de l'école Jules-Ferry",
        35_000,
        "École Jules-Ferry",
    ),
    ("les-tilleuls", "Un jardin partagé rue des Lilas", 22_000, "Rue des Lilas"),
    ("les-tilleuls", "Un terrain de basket rénové", 40_000, "City-stade des Tilleuls"),
    ("les-tilleuls", "Des toilettes publiques au square", 30_000, "Square des Tilleuls"),
]
REFUSAL = (
    "La cour appartient au département (collège) : la commune ne peut pas y financer de "
    "travaux. Le projet est transmis au conseil départemental."
)


def _user(short: str):
    return find_user_by_email(f"{short}@ormeval.example")


def _quarter(slug: str | None):
    if slug is None:
        return None
    return db.session.scalar(select(Neighbourhood).where(Neighbourhood.slug == slug))


def _dates(offset: int, *, supports: bool = False) -> dict:
    """Phase dates around today: ``offset`` days shift the whole calendar into the past. With
    ``supports``, the residents' pre-selection takes the last ten days of the feasibility."""
    today = local_today()
    d = lambda n: today + timedelta(days=n - offset)  # noqa: E731
    dates = {
        "submission": (d(0), d(30)),
        "feasibility": (d(31), d(60)),
        "vote": (d(61), d(80)),
        "results": (d(81), d(90)),
        "implementation": (d(91), d(400)),
    }
    if supports:
        dates["feasibility"] = (d(31), d(50))
        dates["supports"] = (d(51), d(60))
    return dates


def _campaign(agent, title: str, offset: int, *, supports: bool = False, **settings) -> Campaign:
    campaign = services.create_campaign(
        agent,
        title=title,
        description=DESCRIPTION,
        rule="greedy",
        knapsack=True,
        max_projects=None,
        districts_per_voter=2,
        min_age=11,
        **settings,
    )
    services.set_phases(campaign, _dates(offset, supports=supports), agent)
    services.add_district(campaign, agent, name="Toute la commune", envelope=150_000)
    for slug in ("centre-historique", "les-tilleuls"):
        quarter = _quarter(slug)
        if quarter is not None:
            services.add_district(
                campaign, agent, name=quarter.name, envelope=60_000, neighbourhood_id=quarter.id
            )
    services.move_to_phase(campaign, "submission", agent)
    return campaign


def _propose(campaign: Campaign, authors) -> list:
    by_quarter = {d.neighbourhood.slug if d.neighbourhood else None: d for d in campaign.districts}
    projects = []
    for slug, title, cost, place in IDEAS:
        district = by_quarter.get(slug)
        if district is None:
            continue
        author = next(
            (
                a
                for a in authors
                if district.city_wide or a.neighbourhood_id == district.neighbourhood_id
            ),
            None,
        )
        if author is None:
            continue
        projects.append(
            services.submit_project(
                campaign,
                author,
                district=district,
                title=title,
                description=(
                    f"{title} : un projet proposé par une habitante ou un habitant d'Ormeval, "
                    "pour un quartier plus agréable à vivre."
                ),
                estimated_cost=cost,
                place=place,
            )
        )
    return projects


def _review(campaign: Campaign, projects, agent, *, leave: int = 0) -> None:
    """The services' decisions; the last ``leave`` projects are still under review."""
    services.move_to_phase(campaign, "feasibility", agent)
    for project in projects[: len(projects) - leave]:
        if project.title.startswith("Végétaliser"):
            services.review_project(project, agent, decision="out_of_scope", reason=REFUSAL)
        else:
            services.review_project(
                project,
                agent,
                decision="feasible",
                cost=project.estimated_cost + 1_000,
                cost_explanation="Chiffrage des services techniques, pose et entretien la première année compris.",
            )


def _support(campaign: Campaign, residents) -> None:
    """Each resident supports some projects of their districts (the first ones more often)."""
    for n, resident in enumerate(r for r in residents if r is not None):
        for project in services.campaign_projects(campaign):
            if project.status != "feasible" or (project.id + n) % 3 == 0:
                continue
            try:
                services.support_project(project, resident)
            except RuleError:
                continue  # not a resident of that district


def _vote(campaign: Campaign, rng: random.Random) -> None:
    channels = ["web"] * 6 + ["paper"] * 3 + ["code"]
    for district in campaign.districts:
        options = list(voting.ballot_projects(district).values())
        for n in range(40 if district.city_wide else 18):
            rng.shuffle(options)
            chosen, total = {}, 0
            for project in options[: rng.randint(1, 3)]:
                if total + project.ballot_cost <= district.envelope:
                    chosen[project.id] = 1
                    total += project.ballot_cost
            voting.cast(
                campaign,
                district,
                f"demo:{district.id}:{n}",
                chosen,
                channel=rng.choice(channels),
                replace=False,
            )


def _paper(campaign: Campaign, first, second) -> None:
    """Paper ballots entered twice: one counted, one in the discrepancy report, one awaiting
    its second entry."""
    if second is None:
        return
    district = next(d for d in campaign.districts if d.city_wide)
    ids = sorted(voting.ballot_projects(district))
    a, b = int(ids[0]), int(ids[1])
    voting.enter_paper_entry(campaign, district, "P-001", {a: 1}, first)
    voting.enter_paper_entry(campaign, district, "P-001", {a: 1}, second)
    voting.enter_paper_entry(campaign, district, "P-002", {a: 1, b: 1}, first)
    voting.enter_paper_entry(campaign, district, "P-002", {b: 1}, second)
    voting.enter_paper_entry(campaign, district, "P-003", {b: 1}, first)


def load(app) -> None:
    with offline_request_context(app):
        agent = _user("agent")
        if agent is None:
            return
        for year, short in enumerate(("claire", "karim", "lea", "paul", "sofia"), start=1968):
            resident = _user(short)
            if resident is not None and resident.birth_date is None:
                resident.birth_date = date(year + 3 * (year % 5), 4, 12)
        db.session.commit()
        authors = [u for u in (_user(s) for s in ("claire", "karim", "lea", "sofia")) if u]
        rng = random.Random(2027)

        with write_transaction():
            # Submission open: residents propose now.
            open_now = _campaign(agent, "Budget participatif 2027 : à vos idées !", offset=5)
            _propose(open_now, authors[:2])

        with write_transaction():
            # Feasibility under way: decisions published as they come, one refusal with its
            # reason, the last projects still under review.
            reviewing = _campaign(agent, "Budget participatif 2027 (quartiers) : étude", offset=45)
            _review(reviewing, _propose(reviewing, authors), agent, leave=3)

        with write_transaction():
            # Supports open: residents pre-select the projects that go to the vote (the four
            # most supported of each district, with at least two supports).
            supporting = _campaign(
                agent,
                "Budget participatif 2026 (jeunesse) : soutenez vos projets",
                offset=55,
                supports=True,
                supports_top=4,
                supports_threshold=2,
            )
            _review(supporting, _propose(supporting, authors), agent)
            services.move_to_phase(supporting, "supports", agent)
            _support(supporting, [_user(s) for s in ("claire", "karim", "lea", "paul", "sofia")])

        with write_transaction():
            # Vote open.
            voting_now = _campaign(agent, "Budget participatif 2026 : votez !", offset=65)
            _review(voting_now, _propose(voting_now, authors), agent)
            services.move_to_phase(voting_now, "vote", agent)
            _paper(voting_now, agent, _user("admin"))

        with write_transaction():
            # Results just published: counts, winners and why each project won or lost.
            counted = _campaign(agent, "Budget participatif 2025 (écoles) : résultats", offset=85)
            _review(counted, _propose(counted, authors), agent)
            services.move_to_phase(counted, "vote", agent)
            _vote(counted, rng)
            services.move_to_phase(counted, "results", SYSTEM)

        with write_transaction():
            # Results published, then implementation with milestones.
            done = _campaign(agent, "Budget participatif 2025 : les résultats", offset=120)
            _review(done, _propose(done, authors), agent)
            services.move_to_phase(done, "vote", agent)
            _vote(done, rng)
            services.move_to_phase(done, "results", SYSTEM)
            services.move_to_phase(done, "implementation", agent)
            today = local_today()
            for project in services.campaign_projects(done):
                if project.status != "selected":
                    continue
                db.session.add_all(
                    [
                        Milestone(
                            project_id=project.id,
                            title="Études et commande",
                            due_on=today - timedelta(days=20),
                            done_on=today - timedelta(days=25),
                            progress=30,
                        ),
                        Milestone(
                            project_id=project.id,
                            title="Travaux",
                            due_on=today - timedelta(days=2),
                            progress=60,
                            note="Livraison du matériel retardée.",
                        ),
                        Milestone(
                            project_id=project.id,
                            title="Inauguration",
                            due_on=today + timedelta(days=60),
                            progress=100,
                        ),
                    ]
                )

        with write_transaction():
            services.create_campaign(
                agent, title="Budget jeunesse 2027 (en préparation)", min_age=11
            )
