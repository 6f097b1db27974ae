"""Open data: what anyone may download and recompute (no personal data, counts by
neighbourhood included). The same dictionaries feed the JSON API."""

from __future__ import annotations

import csv
import io

from flask import url_for

from hub.plugin import csv_safe, signatures

from .models import Petition

THRESHOLD_LABELS_EN = {"official_answer": "Official answer from the commune",
                       "council_debate": "Debate in the municipal council"}


def _iso(value):
    return value.isoformat() + "Z" if value else None


def petition_record(petition: Petition, by_neighbourhood: dict | None = None) -> dict:
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
        "thresholds": [{"count": t.count, "action": t.action, "reached": t.reached,
                        "reached_at": _iso(t.fired_at)}
                       for t in (collection.thresholds if collection else [])],
        "answered_at": _iso(petition.answered_at),
        "url": url_for("petitions.detail", petition_id=petition.id, _external=True),
    }
    if petition.status == "rejected":
        record["rejection_reason"] = petition.rejection_reason
    if by_neighbourhood is not None:
        record["signatures_by_neighbourhood"] = {
            (name or "unknown"): count for name, count in sorted(by_neighbourhood.items())}
    return record


def records(petitions: list[Petition]) -> list[dict]:
    """Records with counts by neighbourhood, in two aggregate queries for the whole list."""
    counts = signatures.counts_by_neighbourhood(p.collection_id for p in petitions if p.collection_id)
    return [petition_record(p, counts.get(p.collection_id, {})) for p in petitions]


CSV_COLUMNS = ("id", "title", "status", "addressee", "category", "neighbourhood",
               "published_at", "deadline", "signature_count", "online_signatures",
               "paper_signatures", "answered_at", "url")


def to_csv(rows: list[dict], neighbourhoods: list[str]) -> str:
    """One row per petition; one column per neighbourhood with its signature count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    extra = [f"signatures: {name}" for name in neighbourhoods] + ["signatures: unknown"]
    writer.writerow(list(CSV_COLUMNS) + extra)
    for row in rows:
        counts = row.get("signatures_by_neighbourhood", {})
        writer.writerow([csv_safe(row[c]) for c in CSV_COLUMNS]
                        + [counts.get(name, 0) for name in neighbourhoods]
                        + [counts.get("unknown", 0)])
    return buffer.getvalue()
