"""Open data: what anyone may download and recompute (no personal data, counts by
neighbourhood included). The same dictionaries feed the JSON API."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hub.plugin import csv_text, db, signatures

from .models import Petition

THRESHOLD_LABELS_EN = {
    "official_answer": "Official answer from the commune",
    "council_debate": "Debate in the municipal council",
}


def _iso(value):
    return value.isoformat() + "Z" if value else None


def _day(value):
    return value.isoformat() if value else None


def withheld_record(petition: Petition) -> dict:
    """A petition refused for personal data, defamation or illegality: its title, the
    reason and the date, nothing else."""
    return {
        "id": petition.id,
        "title": petition.title,
        "status": petition.status,
        "text_withheld": True,
        "rejection_reason": petition.rejection_reason,
        "rejected_at": _iso(petition.moderated_at),
        "url": url_for("petitions.detail", petition_id=petition.id, _external=True),
    }


def petition_record(petition: Petition, by_neighbourhood: dict | None = None) -> dict:
    if petition.text_withheld:
        return withheld_record(petition)
    collection = petition.collection
    record = {
        "id": petition.id,
        "title": petition.title,
        "status": petition.current_status(),
        "addressee": petition.addressee,
        "category": petition.category or None,
        "neighbourhood": petition.neighbourhood.name if petition.neighbourhood else None,
        "published_at": _iso(petition.published_at),
        "deadline": _iso(petition.deadline),
        "signature_count": petition.signature_count,
        "online_signatures": collection.online_count if collection else 0,
        "paper_signatures": collection.offline_count if collection else 0,
        "thresholds": [
            {
                "count": t.count,
                "action": t.action,
                "reached": t.reached,
                "reached_at": _iso(t.fired_at),
            }
            for t in (collection.thresholds if collection else [])
        ],
        "answered_at": _iso(petition.answered_at),
        "answer_due_on": _day(petition.answer_due_on),
        "debate_due_on": _day(petition.debate_due_on),
        "debate_session_id": petition.debate_session_id,
        "debated_on": _day(petition.debated_on),
        "url": url_for("petitions.detail", petition_id=petition.id, _external=True),
    }
    if petition.status == "rejected":
        record["rejection_reason"] = petition.rejection_reason
        record["rejected_at"] = _iso(petition.moderated_at)
    if by_neighbourhood is not None:
        record["signatures_by_neighbourhood"] = {
            (name or "unknown"): count for name, count in sorted(by_neighbourhood.items())
        }
    return record


def _load_thresholds(petitions: list[Petition]) -> None:
    """Every listed collection's thresholds in one query (not one per petition)."""
    ids = [p.collection_id for p in petitions if p.collection_id]
    if len(ids) > 1:
        collection = Petition.collection.property.mapper.class_
        db.session.scalars(
            select(collection)
            .where(collection.id.in_(ids))
            .options(selectinload(collection.thresholds))
        ).all()


def records(petitions: list[Petition]) -> list[dict]:
    """Records with counts by neighbourhood, in two aggregate queries for the whole list."""
    counts = signatures.counts_by_neighbourhood(
        p.collection_id for p in petitions if p.collection_id
    )
    _load_thresholds(petitions)
    return [petition_record(p, counts.get(p.collection_id, {})) for p in petitions]


CSV_COLUMNS = (
    "id",
    "title",
    "status",
    "addressee",
    "category",
    "neighbourhood",
    "published_at",
    "deadline",
    "signature_count",
    "online_signatures",
    "paper_signatures",
    "answered_at",
    "answer_due_on",
    "debate_due_on",
    "debated_on",
    "url",
)


def to_csv(rows: list[dict], neighbourhoods: list[str]) -> str:
    """One row per petition; one column per neighbourhood with its signature count."""
    extra = [f"signatures: {name}" for name in neighbourhoods] + ["signatures: unknown"]
    return csv_text(
        list(CSV_COLUMNS) + extra,
        (
            [row.get(c) for c in CSV_COLUMNS]
            + [row.get("signatures_by_neighbourhood", {}).get(name, 0) for name in neighbourhoods]
            + [row.get("signatures_by_neighbourhood", {}).get("unknown", 0)]
            for row in rows
        ),
    )
