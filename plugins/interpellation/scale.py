"""The interpellations' share of the métropole-sized demo (``hub demo --scale metropole``): 300
interpellations with their committees, most collecting signatures (100,000 in all)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from hub.plugin import external_url, get_setting, offline_request_context

from .models import COMMITTEE, COMMITTEE_FORMED, COUNCIL_AGENDA, SIGNATURES, Interpellation

INTERPELLATIONS = 300
SIGNATURES_TOTAL = 100_000


def load(scale) -> None:
    with offline_request_context(scale.app):
        url = external_url("interpellation.detail", interpellation_id=987654321)
    size = int(get_setting("interpellation_committee_size"))
    count = scale.count(INTERPELLATIONS)
    first = scale.next_id(Interpellation)
    threshold = max(scale.count(2_000), 20)
    rows = []
    for interpellation_id in range(first, first + count):
        filed = scale.moment(200, -10)
        opens = filed + timedelta(days=5)
        rows.append(
            {
                "id": interpellation_id,
                "title": f"Interpellation sur {scale.topic()} à {scale.place()} ({interpellation_id})",
                "body": "Nous demandons que le conseil débatte de cette question.",
                "kind": scale.rng.choice(("question", "request")),
                "council": scale.rng.choice(("municipal", "metropole")),
                "competence": "Voirie",
                "stage": "collecting",
                "created_at": filed - timedelta(days=3),
                "committee_token": secrets.token_urlsafe(24),
                "filed_at": filed,
                "review_due_on": (filed + timedelta(days=15)).date(),
                "reviewed_at": opens,
                "reviewed_by_id": scale.rng.choice(scale.staff_ids),
                "threshold": threshold,
                "threshold_rule": str(threshold),
                "signatures_open_at": opens,
                "signatures_close_at": scale.now + timedelta(days=scale.rng.randint(5, 150)),
            }
        )
    committee_ids = scale.add_signatures(
        COMMITTEE,
        [
            {
                "object_id": row["id"],
                "title": row["title"],
                "url": url.replace("987654321", str(row["id"])),
                "signers": size,
                "require_verified_resident": True,
                "accepting": False,
                "opens_at": row["created_at"],
                "closes_at": row["filed_at"],
                "thresholds": [(size, COMMITTEE_FORMED, "Committee formed")],
            }
            for row in rows
        ],
    )
    signers = scale.spread(
        scale.count(SIGNATURES_TOTAL), count, cap=int(len(scale.verified_ids) * 0.5)
    )
    ids = scale.add_signatures(
        SIGNATURES,
        [
            {
                "object_id": row["id"],
                "title": row["title"],
                "url": url.replace("987654321", str(row["id"])),
                "signers": n,
                "require_verified_resident": True,
                "opens_at": row["signatures_open_at"],
                "closes_at": row["signatures_close_at"],
                "thresholds": [(threshold, COUNCIL_AGENDA, "Council agenda")],
            }
            for row, n in zip(rows, signers, strict=True)
        ],
    )
    for row, committee_id, collection_id, n in zip(rows, committee_ids, ids, signers, strict=True):
        row["committee_collection_id"] = committee_id
        row["collection_id"] = collection_id
        reached = row["signatures_open_at"] + timedelta(days=20) if n >= threshold else None
        row["reached_at"] = reached
        row["stage"] = "scheduled" if reached else "collecting"
        row["council_due_on"] = (reached + timedelta(days=90)).date() if reached else None
    scale.insert(Interpellation, rows)
    scale.say(f"interpellations: {count:,}, {sum(signers):,} signatures")
