"""The budget's share of the métropole-sized demo (``hub demo --scale metropole``): a
métropole-wide campaign in its vote, one envelope per neighbourhood of the largest communes,
their projects on the ballot and 40,000 ballots (receipts derived as in real voting, so a
resident who votes again replaces theirs)."""

from __future__ import annotations

from collections import namedtuple
from datetime import timedelta

from .models import (
    Ballot,
    BallotLine,
    BudgetProject,
    Campaign,
    District,
    Participation,
    ParticipationDistrict,
    Phase,
    new_ballot_id,
)
from .voting import hash_secret, receipt_for

DISTRICTS = 40
PROJECTS_PER_DISTRICT = 12
BALLOTS = 40_000


def load(scale) -> None:
    campaign_id = scale.next_id(Campaign)
    campaign_uuid = scale.uuid()
    scale.insert(
        Campaign,
        [
            {
                "id": campaign_id,
                "uuid": campaign_uuid,
                "title": "Budget participatif métropolitain",
                "description": "Un budget participatif à l'échelle de la métropole.",
                "phase": "vote",
                "rule": "greedy",
                "vote_type": "approval",
                "max_projects": 3,
                "districts_per_voter": 1,
                "residents_only": True,
                "min_age": 16,
                "created_at": scale.now - timedelta(days=200),
            }
        ],
    )
    today = scale.now.date()
    kinds = ("submission", "feasibility", "vote", "results")
    scale.insert(
        Phase,
        (
            {
                "campaign_id": campaign_id,
                "kind": kind,
                "starts_on": today + timedelta(days=60 * (i - 2)),
                "ends_on": today + timedelta(days=60 * (i - 1) - 1),
            }
            for i, kind in enumerate(kinds)
        ),
    )
    neighbourhoods = scale.neighbourhood_ids[: scale.count(DISTRICTS)]
    first_district = scale.next_id(District)
    districts = [
        {
            "id": first_district + i,
            "campaign_id": campaign_id,
            "name": f"Quartier {neighbourhood_id}",
            "neighbourhood_id": neighbourhood_id,
            "envelope": 200_000,
            "position": i,
        }
        for i, neighbourhood_id in enumerate(neighbourhoods)
    ]
    scale.insert(District, districts)
    first_project = scale.next_id(BudgetProject)
    projects, by_district = [], {}
    for district in districts:
        for k in range(PROJECTS_PER_DISTRICT):
            project_id = first_project + len(projects)
            by_district.setdefault(district["id"], []).append(project_id)
            projects.append(
                {
                    "id": project_id,
                    "uuid": scale.uuid(),
                    "campaign_id": campaign_id,
                    "district_id": district["id"],
                    "pabulib_id": str(project_id),
                    "title": f"{scale.topic().capitalize()} ({district['name']}, {k + 1})",
                    "description": "Projet proposé par des habitants.",
                    "place": scale.place(),
                    "estimated_cost": scale.rng.randrange(5_000, 90_000, 500),
                    "author_id": scale.rng.choice(scale.verified_ids),
                    "status": "feasible",
                    "created_at": scale.now - timedelta(days=150),
                }
            )
    scale.insert(BudgetProject, projects)
    campaign = namedtuple("CampaignRef", "uuid")(campaign_uuid)
    voters = scale.rng.sample(
        scale.verified_ids, min(scale.count(BALLOTS), len(scale.verified_ids))
    )
    first_participation = scale.next_id(Participation)
    participations, chosen, ballots, lines = [], [], [], []
    for i, user_id in enumerate(voters):
        district = scale.rng.choice(districts)
        day = today - timedelta(days=scale.rng.randint(0, 20))
        voter_key = f"user:{user_id}"
        participations.append(
            {
                "id": first_participation + i,
                "campaign_id": campaign_id,
                "voter_key": voter_key,
                "channel": "web",
                "day": day,
            }
        )
        chosen.append({"participation_id": first_participation + i, "district_id": district["id"]})
        ballot_id = new_ballot_id()
        ballots.append(
            {
                "id": ballot_id,
                "campaign_id": campaign_id,
                "district_id": district["id"],
                "receipt_hash": hash_secret(receipt_for(campaign, voter_key)),
                "channel": "web",
                "day": day,
            }
        )
        for project_id in scale.rng.sample(by_district[district["id"]], 3):
            lines.append({"ballot_id": ballot_id, "project_id": project_id, "points": 1})
    scale.insert(Participation, participations)
    scale.insert(ParticipationDistrict, chosen)
    scale.rng.shuffle(ballots)  # the order of ballots says nothing about the order of voters
    scale.insert(Ballot, ballots)
    scale.insert(BallotLine, lines)
    scale.say(f"participatory budget: {len(projects):,} projects, {len(ballots):,} ballots")
