"""The workshops' share of the métropole-sized demo (``hub demo --scale metropole``): 600
neighbourhood workshops hosted by local bodies, with their facilitators."""

from __future__ import annotations

from .models import Facilitator, Workshop, workshop_neighbourhood

WORKSHOPS = 600


def load(scale) -> None:
    count = scale.count(WORKSHOPS)
    first = scale.next_id(Workshop)
    workshops, links, facilitators = [], [], []
    for workshop_id in range(first, first + count):
        project = scale.rng.random() < 0.3
        workshops.append(
            {
                "id": workshop_id,
                "uuid": scale.uuid(),
                "kind": "project" if project else "neighbourhood",
                "title": f"Atelier {scale.topic()} – {scale.place()} ({workshop_id})",
                "topic": scale.topic(),
                "summary": "Un atelier ouvert aux habitants du quartier.",
                "host_body_id": scale.rng.choice(scale.body_ids),
                "project_id": scale.rng.choice(scale.project_ids) if project else None,
                "closed_at": None,
                "created_at": scale.moment(600, -10),
                "created_by_id": scale.rng.choice(scale.staff_ids),
            }
        )
        links.append(
            {
                "workshop_id": workshop_id,
                "neighbourhood_id": scale.rng.choice(scale.neighbourhood_ids),
            }
        )
        for user_id in set(scale.rng.sample(scale.user_ids, min(2, len(scale.user_ids)))):
            facilitators.append({"workshop_id": workshop_id, "user_id": user_id})
    scale.insert(Workshop, workshops)
    scale.insert(workshop_neighbourhood, links)
    scale.insert(Facilitator, facilitators)
    scale.say(f"neighbourhood workshops: {count:,}")
