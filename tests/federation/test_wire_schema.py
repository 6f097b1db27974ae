"""No resident's personal data crosses hubs, proved on the wire: every request and response
exchanged during a full round trip (pairing, key rotation, publication, phase change,
invitation, answer, report, the métropole's answer, deletion) is recorded as sent, and each
payload type keeps to its allow-list of fields, nested ones included: texts their authors
published, counts, dates and stable ids. A new message type or feed without an allow-list
fails here."""

from __future__ import annotations

import json
from datetime import date, timedelta

from factories import make_body, make_project
from sqlalchemy import select

from hub.audit import SYSTEM
from hub.extensions import db
from hub.projects import services
from hub.projects.models import Project, Relay

from .conftest import pair, sync

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
    from hub.accounts.services import create_user
    from hub.contributions import services as contributions
    from plugins.federation import feeds, outbox, peers, relays, views
    from plugins.federation.models import RemoteBody, RemoteRelay

    wire: list[tuple[str, str, int, bytes, bytes]] = []
    transport = outbox.http

    def recording(base_url, method, path, body=b"", key_id=None):
        status, headers, answer = transport(base_url, method, path, body, key_id)
        wire.append((method, path, status, body, answer))
        return status, headers, answer

    monkeypatch.setattr(outbox, "http", recording)

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    with commune.app.app_context():
        president = create_user(
            "pres@ormeval.example", "correct horse battery", "Présidente", confirmed=True
        )
        president.full_name = "Odile Présidente-Cachée"
        resident = create_user(
            "amel.secret@ormeval.example", "correct horse battery", "Amel Secrète", confirmed=True
        )
        db.session.commit()
        president_id, resident_id = president.id, resident.id
    make_body(commune.app, members=[(president_id, "president")])
    pair(metropole, commune)
    with metropole.app.app_context():
        owner = create_user(
            "owner.secret@metropole.example",
            "correct horse battery",
            "Gaston Propriétaire",
            roles=("agent",),
            confirmed=True,
        )
        db.session.commit()
        owner_id = owner.id
    tram = make_project(
        metropole.app, title="Ligne de tram T9", phase="contrat", published=True, owner_id=owner_id
    )
    sync(metropole, commune, metropole)
    with metropole.ctx():
        services.advance_phase(db.session.get(Project, tram), SYSTEM)
        relays.invite(
            db.session.get(Project, tram),
            db.session.scalar(select(RemoteBody)),
            date.today() + timedelta(days=30),
            "Merci",
            SYSTEM,
        )
        db.session.commit()
    sync(metropole, commune)
    with commune.ctx():
        local = db.session.scalar(select(Relay))
        chair = db.session.get(type(local.body.members[0].user), president_id)
        services.respond_to_invitation(local, True, "", chair)
        contributions.add(
            local.project,
            "Une station au marché, signé Amel Secrète ?",
            channel="relay",
            source=local,
            author=db.session.get(type(chair), resident_id),
            entered_by=chair,
        )
        services.submit_report(local, "Synthèse des réunions publiques du quartier.", 40, chair)
        db.session.commit()
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
