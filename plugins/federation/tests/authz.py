"""Who may use each route of the federation plugin (collected by tests/authz_rules.py).

The administration of the links is the admins'; inviting a commune's body belongs to whoever
manages the project; the endpoints other hubs call answer 401 to anything not signed by a
paired hub's key, whoever the visitor is (a session cookie counts for nothing there)."""

from __future__ import annotations

from authz_rules import EVERYONE, World, everyone, roles, world_setup

UNSIGNED = dict.fromkeys(EVERYONE, {401})


@world_setup
def federation_world(w: World) -> None:
    from hub.plugin import db
    from plugins.federation import outbox, peers

    with w.app.test_request_context():
        peer = peers.add_peer(
            "https://metropole.example",
            "ed25519:tAEcEmVwrpXvxbjfXzxMl5Gw+37mJTLVYmAeW7+RJRc=",
            "metropole",
            "Métropole d'exemple",
        )
        message = outbox.enqueue(peer, "changed", {"feed": "bodies", "seq": 1})
        from datetime import date

        from hub.plugin import utcnow
        from plugins.federation.models import RemoteRelay

        relay = RemoteRelay(
            uuid="5e1d2c3b-0000-4000-8000-00000000aa01",
            project_id=w.project_id,
            peer_id=peer.id,
            body_uuid="5e1d2c3b-0000-4000-8000-00000000bb02",
            body_name="Conseil de quartier d'exemple",
            status="accepted",
            report="Synthèse",
            report_deadline=date(2030, 1, 1),
            report_submitted_at=utcnow(),
        )
        db.session.add(relay)
        db.session.commit()
        w.federation_peer_id, w.federation_message_id = peer.id, message.id
        w.federation_relay_id = relay.id


RULES = {
    "federation.index": roles(),
    "federation.add_peer": roles(),
    "federation.peer": roles(values=lambda w: {"peer_id": w.federation_peer_id}),
    "federation.approve": roles(values=lambda w: {"peer_id": w.federation_peer_id}),
    "federation.suspend": roles(values=lambda w: {"peer_id": w.federation_peer_id}),
    "federation.resume": roles(values=lambda w: {"peer_id": w.federation_peer_id}),
    "federation.rotate": roles(post_probe=False, note="would replace the demo hub's key pair"),
    "federation.retry": roles(values=lambda w: {"message_id": w.federation_message_id}),
    "federation.invite": roles("agent", values=lambda w: {"project_id": w.project_id}),
    "federation.answer": roles("agent", values=lambda w: {"relay_id": w.federation_relay_id}),
    "federation.hide": roles(
        "agent",
        "moderator",
        values=lambda w: {"project_id": w.project_id},
        post_probe=False,
        note="the demo's projects are its own: hiding answers 422 for them",
    ),
    "federation.unhide": roles(
        "agent",
        "moderator",
        values=lambda w: {"project_id": w.project_id},
        post_probe=False,
        note="the demo's projects are not hidden: 422",
    ),
    "federation.identity": everyone(),
    "federation.feed": everyone(
        values={"feed": "projects"}, expect=UNSIGNED, note="signed requests of paired hubs only"
    ),
    "federation.inbox": everyone(expect=UNSIGNED, note="signed requests of paired hubs only"),
}
