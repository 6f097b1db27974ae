"""The métropole's projects appear on the commune's hub with their origin, once, and follow
their changes; the métropole invites a commune's body, which answers and reports on its own
hub; the answer and the report come back to the project's page on the métropole."""

from datetime import date, timedelta

from factories import make_body, make_project
from sqlalchemy import func, select

from hub.audit import SYSTEM
from hub.extensions import db
from hub.projects import services
from hub.projects.models import Project, Relay

from .conftest import (
    accept_gather_and_report,
    invite_the_remote_body,
    pair,
    people_whose_names_must_not_cross,
    sync,
)


def _copies(commune, uuid):
    with commune.app.app_context():
        return db.session.scalars(select(Project).where(Project.origin_uuid == uuid)).all()


def _uuid(hub, project_id):
    with hub.app.app_context():
        return db.session.get(Project, project_id).uuid


def test_projects_arrive_marked_with_their_origin_once_and_follow_changes(in_process_hubs):
    from plugins.federation.models import Imported, Peer

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    tram = make_project(metropole.app, title="Ligne de tram T9", phase="contrat")
    make_project(metropole.app, title="Square Jean-Moulin", level="communal")
    sync(metropole, commune)
    uuid = _uuid(metropole, tram)
    [copy] = _copies(commune, uuid)
    assert copy.origin_hub == metropole.url and copy.origin_name == "Métropole d'Ormeval"
    assert copy.title == "Ligne de tram T9" and copy.contrat_open == "Le tracé et les aménagements"
    with commune.app.app_context():  # the communal project is not published
        assert db.session.scalar(select(func.count(Project.id))) == 1
    records = commune.client.get("/api/v1/projects").get_json()["projects"]
    assert records[0]["origin"] == {"hub": metropole.url, "uuid": uuid, "name": copy.origin_name}
    page = commune.client.get(f"/projects/{copy.id}").get_data(as_text=True)
    assert "Publié par Métropole d&#39;Ormeval" in page

    # Pulling everything again (cursor back to 0) creates nothing new.
    with commune.app.app_context():
        peer = db.session.scalar(select(Peer))
        peer.cursors = {}
        db.session.commit()
    sync(commune)
    sync(commune)
    assert len(_copies(commune, uuid)) == 1

    # A change on the métropole reaches the commune (event → feed → hint → pull).
    with metropole.ctx():
        project = db.session.get(Project, tram)
        services.publish_contrat(project, SYSTEM)
        services.advance_phase(project, SYSTEM)
        db.session.commit()
    sync(metropole, commune)
    [copy] = _copies(commune, uuid)
    assert copy.phase == "strategie" and copy.contrat_published_at is not None

    # An older version arriving late is ignored.
    from plugins.federation.feeds import apply

    with commune.app.app_context():
        peer = db.session.scalar(select(Peer))
        current = db.session.scalar(select(Imported.version).where(Imported.uuid == uuid))
        stale = {"uuid": uuid, "version": current - 1, "data": {"title": "Ancien titre"}}
        assert apply(peer, "projects", stale) is False
        db.session.commit()
    assert _copies(commune, uuid)[0].title == "Ligne de tram T9"

    # Deleted on the métropole (or no longer metropolitan): a tombstone removes the copy.
    with metropole.ctx():
        db.session.get(Project, tram).level = "communal"
        db.session.commit()
    sync(metropole, commune)
    assert _copies(commune, uuid) == []


def test_a_relay_invitation_answer_and_report_make_the_round_trip(in_process_hubs, tmp_path):
    from hub.accounts.services import create_user
    from plugins.federation import relays
    from plugins.federation.models import RemoteBody, RemoteRelay

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    with commune.app.app_context():
        president = create_user(
            "pres@ormeval.example", "correct horse battery", "Présidente", confirmed=True
        )
        db.session.commit()
        president_id = president.id
    body = make_body(commune.app, members=[(president_id, "president")])
    pair(metropole, commune)
    with metropole.app.app_context():
        agent = create_user(
            "agent@metropole.example",
            "correct horse battery",
            "Agent",
            roles=("agent",),
            confirmed=True,
        )
        db.session.commit()
        agent_id = agent.id
    tram = make_project(
        metropole.app,
        title="Ligne de tram T9",
        phase="strategie",
        published=True,
        owner_id=agent_id,
    )
    sync(metropole, commune, metropole)  # bodies of the commune reach the métropole

    with metropole.ctx():
        [remote_body] = db.session.scalars(select(RemoteBody)).all()
        assert remote_body.name == "Conseil de quartier Bellevue"
        relay = relays.invite(
            db.session.get(Project, tram),
            remote_body,
            date.today() + timedelta(days=30),
            "Pouvez-vous relayer le projet auprès des habitants ?",
            SYSTEM,
        )
        db.session.commit()
        relay_uuid = relay.uuid
    sync(metropole)
    with commune.ctx():
        [local] = db.session.scalars(select(Relay)).all()
        assert local.uuid == relay_uuid and local.body_id == body and local.status == "invited"
        assert local.project.origin_uuid == _uuid(metropole, tram)
        services.respond_to_invitation(
            local, True, "", db.session.get(type(president), president_id)
        )
        db.session.commit()
    sync(commune)
    page = metropole.client.get(f"/projects/{tram}").get_data(as_text=True)
    assert "Relais dans les communes" in page
    assert "Conseil de quartier Bellevue" in page and "Ville d&#39;Ormeval" in page
    assert "Accepté" in page

    with commune.ctx():
        local = db.session.scalar(select(Relay))
        services.submit_report(
            local,
            "Deux réunions publiques ; les habitants demandent une station au marché.",
            140,
            db.session.get(type(president), president_id),
        )
        db.session.commit()
    sync(commune)
    page = metropole.client.get(f"/projects/{tram}").get_data(as_text=True)
    assert "les habitants demandent une station au marché" in page
    assert "140 habitants touchés" in page
    record = metropole.client.get(f"/api/v1/projects/{tram}").get_json()
    assert record["remote_relays"][0]["residents_reached"] == 140
    assert record["remote_relays"][0]["commune"] == "Ville d'Ormeval"
    with metropole.app.app_context():
        assert db.session.scalar(select(func.count(RemoteRelay.id))) == 1


def test_a_body_declines_with_its_reason(in_process_hubs):
    from hub.accounts.services import create_user

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    with commune.app.app_context():
        president = create_user(
            "pres@ormeval.example", "correct horse battery", "Présidente", confirmed=True
        )
        db.session.commit()
        president_id = president.id
    make_body(commune.app, members=[(president_id, "president")])
    pair(metropole, commune)
    tram = make_project(metropole.app, title="Ligne de tram T9", phase="strategie", published=True)
    sync(metropole, commune, metropole)
    invite_the_remote_body(metropole, tram)
    sync(metropole)
    with commune.ctx():
        local = db.session.scalar(select(Relay))
        services.respond_to_invitation(
            local,
            False,
            "Le conseil ne se réunit pas avant l'automne.",
            db.session.get(type(president), president_id),
        )
        db.session.commit()
    sync(commune)
    page = metropole.client.get(f"/projects/{tram}").get_data(as_text=True)
    assert "Décliné" in page and "ne se réunit pas avant l&#39;automne" in page


# What may cross hubs: public texts of the project and of the body, dates, counts, ids.
ALLOWED = {
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


def test_no_personal_data_crosses_hubs(in_process_hubs):
    """Every message and feed entry after a full round trip keeps to the allowed fields, and
    no resident's name or email appears in any of them."""
    import json

    from plugins.federation.models import Outgoing, Publication

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    people = people_whose_names_must_not_cross(metropole, commune, phase="strategie")
    invite_the_remote_body(metropole, people["tram"], "Merci")
    sync(metropole)
    accept_gather_and_report(
        commune,
        people["president"],
        people["resident"],
        "Une station au marché, signé Amel Secrète ?",
        "Synthèse des réunions publiques du quartier.",
    )
    sync(commune)

    crossed = []
    with commune.app.app_context():
        crossed += [(m.kind, m.payload) for m in db.session.scalars(select(Outgoing))]
        crossed += [(p.feed, p.payload) for p in db.session.scalars(select(Publication))]
    with metropole.app.app_context():
        crossed += [(m.kind, m.payload) for m in db.session.scalars(select(Outgoing))]
        crossed += [(p.feed, p.payload) for p in db.session.scalars(select(Publication))]
    kinds = {kind for kind, _ in crossed}
    assert {"relay.update", "relay.invite", "projects", "bodies", "changed"} <= kinds
    for kind, payload in crossed:
        assert set(payload) <= ALLOWED[kind], (kind, set(payload) - ALLOWED[kind])
        text = json.dumps(payload, ensure_ascii=False)
        for secret in (
            "amel.secret",
            "Amel Secrète",
            "Présidente",
            "Odile",
            "owner.secret",
            "Gaston",
        ):
            assert secret not in text, (kind, secret)
    update = [p for k, p in crossed if k == "relay.update" and p["report"]][-1]
    assert update["contributions"] == 1


def test_relay_states_arriving_out_of_order_converge(in_process_hubs):
    """A relay's later state wins, whichever arrives last."""
    from plugins.federation.models import Peer, RemoteRelay
    from plugins.federation.relays import on_update

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    tram = make_project(metropole.app, title="Ligne de tram T9", phase="strategie", published=True)
    with metropole.app.app_context():
        peer = db.session.scalar(select(Peer))
        db.session.add(
            RemoteRelay(
                uuid="3b0c7a52-2222-4222-8222-222222222222",
                project_id=tram,
                peer_id=peer.id,
                body_uuid="b",
                body_name="Conseil des jeunes",
                report_deadline=date.today() + timedelta(days=9),
            )
        )
        db.session.commit()
        base = {"relay": "3b0c7a52-2222-4222-8222-222222222222"}
        report = {
            **base,
            "status": "accepted",
            "report": "Synthèse finale",
            "version": 7,
            "report_submitted_at": "2026-11-30T10:00:00",
            "residents_reached": 80,
        }
        accepted = {**base, "status": "accepted", "version": 5}
        with metropole.ctx():
            on_update(peer, None, report)
            on_update(peer, None, accepted)  # older: ignored
            db.session.commit()
        relay = db.session.scalar(select(RemoteRelay))
        assert relay.report == "Synthèse finale" and relay.residents_reached == 80
        assert relay.report_version == 7
