"""The petitions' share of the métropole-sized demo (``hub demo --scale metropole``): 10,000
petitions and 1,000,000 signatures at factor 1, a few petitions drawing most of them."""

from __future__ import annotations

from datetime import timedelta

from hub.plugin import Answer, external_url, get_setting, offline_request_context

from .models import SIGNATURES, Petition
from .services import COUNCIL_DEBATE, OFFICIAL_ANSWER

PETITIONS = 10_000
SIGNATURES_TOTAL = 1_000_000
CATEGORIES = ("Cadre de vie", "Mobilité", "Environnement", "Solidarité", "Éducation", "Culture")


def load(scale) -> None:
    with offline_request_context(scale.app):
        url = external_url("petitions.detail", petition_id=987654321)
    count = scale.count(PETITIONS)
    first = scale.next_id(Petition)
    first_answer = scale.next_id(Answer)
    statuses = ["open"] * 14 + ["closed"] * 3 + ["answered"] * 2 + ["rejected"]
    petitions, answers = [], []
    for petition_id in range(first, first + count):
        status = scale.rng.choice(statuses)
        published = scale.moment(400, -2)
        deadline = published + timedelta(days=90)
        if status == "open" and deadline <= scale.now:
            deadline = scale.now + timedelta(days=scale.rng.randint(1, 80))
        answer_id = None
        if status == "answered":
            answer_id = first_answer + len(answers)
            answers.append(
                {
                    "id": answer_id,
                    "uuid": scale.uuid(),
                    "target_type": SIGNATURES,
                    "target_id": petition_id,
                    "text": "La commune a étudié la demande et y donne suite en partie.",
                    "outcome": "",
                    "author_id": scale.rng.choice(scale.staff_ids),
                    "created_at": deadline + timedelta(days=10),
                }
            )
        petitions.append(
            {
                "id": petition_id,
                "title": f"Pour un projet de {scale.topic()} à {scale.place()} ({petition_id})",
                "body": "Nous demandons à la commune d'étudier cette proposition.",
                "addressee": scale.rng.choice(("mayor", "council", "metropole")),
                "category": scale.rng.choice(CATEGORIES),
                "neighbourhood_id": scale.rng.choice(scale.neighbourhood_ids),
                "author_id": scale.rng.choice(scale.user_ids),
                # An answer does not close a petition: these closed at their deadline.
                "status": "closed" if status == "answered" else status,
                "created_at": published - timedelta(days=5),
                "submitted_at": published - timedelta(days=2),
                "published_at": None if status == "rejected" else published,
                "deadline": None if status == "rejected" else deadline,
                "collection_id": None,
                "answer_id": answer_id,
                "answered_at": None if answer_id is None else deadline + timedelta(days=10),
                "moderated_by_id": scale.rng.choice(scale.staff_ids),
                "moderated_at": published,
                "rejection_reason": "off_topic" if status == "rejected" else "",
            }
        )
    scale.insert(Answer, answers)
    signable = [p for p in petitions if p["status"] != "rejected"]
    residents_only = bool(get_setting("petitions_residents_only"))
    pool = len(scale.verified_ids if residents_only else scale.user_ids)
    signers = scale.spread(scale.count(SIGNATURES_TOTAL), len(signable), cap=int(pool * 0.8))
    thresholds = [
        (int(get_setting("petitions_threshold_answer")), OFFICIAL_ANSWER, "Official answer"),
        (int(get_setting("petitions_threshold_debate")), COUNCIL_DEBATE, "Council debate"),
    ]
    ids = scale.add_signatures(
        SIGNATURES,
        [
            {
                "object_id": p["id"],
                "title": p["title"],
                "url": url.replace("987654321", str(p["id"])),
                "signers": n,
                "offline": scale.rng.choice((0, 0, 0, n // 10)),
                "require_verified_resident": residents_only,
                "accepting": p["status"] == "open",
                "opens_at": p["published_at"],
                "closes_at": p["deadline"],
                "thresholds": thresholds,
            }
            for p, n in zip(signable, signers, strict=True)
        ],
    )
    for petition, collection_id in zip(signable, ids, strict=True):
        petition["collection_id"] = collection_id
    scale.insert(Petition, petitions)
    scale.say(f"petitions: {count:,} petitions, {sum(signers):,} online signatures")
