"""No resident's personal data crosses hubs, proved on the wire: every request and response
exchanged during a full round trip (pairing, key rotation, publication, phase change,
invitation, answer, report, the métropole's answer, deletion) is recorded as sent, and each
payload type keeps to its allow-list of fields, nested ones included: texts their authors
published, counts, dates and stable ids. A new message type or feed without an allow-list
fails here."""

from __future__ import annotations

import json

from sqlalchemy import select

from hub.audit import SYSTEM
from hub.extensions import db
from hub.projects import services
from hub.projects.models import Project

from .conftest import (
    accept_gather_and_report,
    invite_the_remote_body,
    people_whose_names_must_not_cross,
    sync,
)

ENVELOPE = {"id", "type", "from", "data", "sent_at"}
MESSAGES = {
    "pairing.approved": {"url", "name", "key_id"},
    "key.rotated": {"key_id", "public_key", "overlap_days"},
    "changed": {"feed", "seq"},
    "relay.invite": {"relay", "project", "body", "report_deadline", "message"},
    "relay.update": {
        "relay",
        "status",
        "decline_reason",
        "responded_at",
        "report",
        "residents_reached",
        "sessions_held",
        "attendance",
        "contributions",
        "report_submitted_at",
        "url",
        "version",
    },
    "relay.answer": {"relay", "status", "text", "answered_at", "version"},
}
FEED_PAGE = {"feed", "hub", "items", "cursor", "next"}
FEED_HUB = {"url", "name"}
FEED_ITEM = {"uuid", "seq", "version", "modified_at", "deleted", "data"}
FEEDS = {
    "projects": {
        "title",
        "summary",
        "level",
        "domain",
        "phase",
        "contrat_open",
        "contrat_closed",
        "contrat_decides",
        "contrat_use",
        "contrat_calendar",
        "contrat_means",
        "decision",
        "phase_changed_at",
        "contrat_published_at",
        "decision_published_at",
        "labelled_at",
        "url",
        "timeline",
        "documents",
    },
    "bodies": {"name", "type"},
}
NESTED = {"timeline": {"date", "title", "description"}, "documents": {"title", "url"}}
SECRETS = (
    "amel.secret",
    "Amel Secrète",
    "Présidente",
    "Odile",
    "owner.secret",
    "Gaston",
    "pres@",
)


def test_every_payload_on_the_wire_keeps_to_its_allow_list(in_process_hubs, monkeypatch):
    from plugins.federation import feeds, outbox, peers, relays, views
    from plugins.federation.models import RemoteRelay

    wire: list[tuple[str, str, int, bytes, bytes]] = []
    transport = outbox.http

    def recording(base_url, method, path, body=b"", key_id=None):
        status, headers, answer = transport(base_url, method, path, body, key_id)
        wire.append((method, path, status, body, answer))
        return status, headers, answer

    monkeypatch.setattr(outbox, "http", recording)

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    people = people_whose_names_must_not_cross(metropole, commune, phase="contrat")
    tram = people["tram"]
    with metropole.ctx():
        services.advance_phase(db.session.get(Project, tram), SYSTEM)
        db.session.commit()
    invite_the_remote_body(metropole, tram, "Merci")
    sync(metropole, commune)
    accept_gather_and_report(
        commune,
        people["president"],
        people["resident"],
        "Une station au marché, signé Amel Secrète ?",
        "Synthèse des réunions publiques du quartier.",
    )
    sync(commune)
    with metropole.ctx():
        relays.answer_report(
            db.session.scalar(select(RemoteRelay)),
            "retained",
            "La station du marché est retenue au tracé définitif.",
            SYSTEM,
        )
        peers.rotate_keys(SYSTEM)
        db.session.get(Project, tram).level = "communal"  # leaves the feed: a tombstone
        db.session.commit()
    sync(metropole, commune, metropole, commune)

    kinds, feeds_seen, tombstones = set(), set(), 0
    assert wire
    for method, path, status, sent, answer in wire:
        for raw in (sent, answer):
            text = raw.decode("utf-8")
            for secret in SECRETS:
                assert secret not in text, (path, secret)
        if method == "POST":
            message = json.loads(sent)
            assert path == "/federation/v1/inbox" and 200 <= status < 300, (message, answer)
            assert set(message) == ENVELOPE
            kind, data = message["type"], message["data"]
            assert set(data) <= MESSAGES[kind], (kind, set(data) - MESSAGES[kind])
            kinds.add(kind)
            continue
        assert method == "GET" and path.startswith("/federation/v1/feeds/") and status == 200
        page = json.loads(answer)
        assert set(page) == FEED_PAGE and set(page["hub"]) == FEED_HUB
        feeds_seen.add(page["feed"])
        for item in page["items"]:
            assert set(item) == FEED_ITEM
            if item["deleted"]:
                tombstones += 1
                assert item["data"] is None
                continue
            allowed = FEEDS[page["feed"]]
            assert set(item["data"]) <= allowed, set(item["data"]) - allowed
            for name, fields in NESTED.items():
                for entry in item["data"].get(name) or []:
                    assert set(entry) <= fields, (name, set(entry) - fields)
    assert kinds == set(views.HANDLERS), set(views.HANDLERS) ^ kinds
    assert feeds_seen == set(feeds.READERS_OF_FEED)
    assert tombstones >= 1
