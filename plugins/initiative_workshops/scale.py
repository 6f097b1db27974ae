"""The initiatives' share of the métropole-sized demo (``hub demo --scale metropole``): 1,000
citizen initiatives with their collectives (members counted on the row) and public support."""

from __future__ import annotations

from datetime import timedelta

from hub.plugin import external_url, offline_request_context

from . import rules
from .models import OBJECT_TYPE, SUPPORT_REACHED, Initiative, Member, initiative_neighbourhood

INITIATIVES = 1_000
SUPPORT_TOTAL = 60_000


def load(scale) -> None:
    with offline_request_context(scale.app):
        url = external_url("initiative_workshops.detail", initiative_id=987654321)
        required = rules.members_required("neighbourhood")
    count = scale.count(INITIATIVES)
    first = scale.next_id(Initiative)
    first_member = scale.next_id(Member)
    initiatives, links, members = [], [], []
    for initiative_id in range(first, first + count):
        created = scale.moment(500, -5)
        joined = scale.rng.sample(
            scale.verified_ids, min(len(scale.verified_ids), scale.rng.randint(1, required + 10))
        )
        constituted = len(joined) >= required
        initiatives.append(
            {
                "id": initiative_id,
                "uuid": scale.uuid(),
                "title": f"Atelier citoyen : {scale.topic()} à {scale.place()} ({initiative_id})",
                "summary": "Un collectif d'habitants propose d'aménager ce lieu avec la commune.",
                "scope": "neighbourhood",
                "author_id": joined[0],
                "created_at": created,
                "state": "constituted" if constituted else "proposed",
                "state_changed_at": created + timedelta(days=10),
                "members_required": required,
                "members_count": len(joined),
                "constituted_at": created + timedelta(days=10) if constituted else None,
                "collection_id": None,
                "support_threshold": None,
            }
        )
        links.append(
            {
                "initiative_id": initiative_id,
                "neighbourhood_id": scale.rng.choice(scale.neighbourhood_ids),
            }
        )
        for user_id in joined:
            members.append(
                {
                    "id": first_member + len(members),
                    "initiative_id": initiative_id,
                    "user_id": user_id,
                    "joined_at": created + timedelta(days=scale.rng.randint(0, 9)),
                }
            )
    supported = [row for row in initiatives if row["state"] == "constituted"]
    support = scale.spread(
        scale.count(SUPPORT_TOTAL), len(supported), cap=int(len(scale.verified_ids) * 0.5)
    )
    threshold = max(scale.count(500), 10)
    ids = scale.add_signatures(
        OBJECT_TYPE,
        [
            {
                "object_id": row["id"],
                "title": row["title"],
                "url": url.replace("987654321", str(row["id"])),
                "signers": n,
                "require_verified_resident": True,
                "opens_at": row["constituted_at"],
                "thresholds": [(threshold, SUPPORT_REACHED, "Support threshold")],
            }
            for row, n in zip(supported, support, strict=True)
        ],
    )
    for row, collection_id, n in zip(supported, ids, support, strict=True):
        row["collection_id"] = collection_id
        row["support_threshold"] = threshold
        row["support_rule"] = str(threshold)
        row["support_reached_at"] = (
            row["constituted_at"] + timedelta(days=7) if n >= threshold else None
        )
    for row in initiatives:
        row.setdefault("support_rule", "")
        row.setdefault("support_reached_at", None)
    scale.insert(Initiative, initiatives)
    scale.insert(initiative_neighbourhood, links)
    scale.insert(Member, members)
    scale.say(f"initiatives: {count:,}, {len(members):,} members, {sum(support):,} supports")
