"""Keys in the instance folder, pairing approved on both sides, rotation with overlap,
suspension."""

import json
import os
import stat

from conftest import PASSWORD, submit

from hub.extensions import db

from .conftest import pair, sync


def _peer(hub, url):
    from plugins.federation.peers import find_by_url

    with hub.app.app_context():
        peer = find_by_url(url)
        db.session.expunge(peer)
        return peer


def test_the_key_pair_lives_in_the_instance_folder_readable_by_the_hub_only(in_process_hubs):
    hub = in_process_hubs["metropole"]
    identity = json.loads(hub.cli("identity", "--json"))
    assert identity["url"] == "http://metropole.test"
    assert identity["public_key"].startswith("ed25519:")
    folder = os.path.join(hub.app.instance_path, "federation")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    pem = os.path.join(folder, identity["key_id"] + ".pem")
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    with open(pem, "rb") as fh:
        assert b"PRIVATE KEY" in fh.read()
    # The same key next time; the public identity endpoint says the same.
    assert json.loads(hub.cli("identity", "--json")) == identity
    assert hub.identity()["public_key"] == identity["public_key"]


def test_a_link_is_active_once_both_sides_approved(in_process_hubs):
    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    m, c = metropole.identity(), commune.identity()
    metropole.cli(
        "peers", "add", commune.url, "--key", c["public_key"], "--role", "commune", "--approve"
    )
    sync(metropole)
    # The commune does not know the métropole's key yet: the approval is refused (401), kept.
    assert _peer(metropole, commune.url).status == "awaiting_peer"
    commune.cli("peers", "add", metropole.url, "--key", m["public_key"], "--role", "metropole")
    sync(metropole)
    assert _peer(commune, metropole.url).remote_approved_at is not None
    assert _peer(commune, metropole.url).status == "to_approve"
    commune.cli("peers", "approve", metropole.url)
    sync(commune)
    assert _peer(metropole, commune.url).status == "active"
    assert _peer(commune, metropole.url).status == "active"
    listed = json.loads(commune.cli("peers", "list", "--json"))
    assert listed[0]["status"] == "active"
    assert listed[0]["fingerprint"].replace(" ", "").lower() == m["key_id"]


def test_admin_pages_show_the_fingerprints_to_compare(in_process_hubs):
    from hub.accounts.services import create_user

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    with metropole.app.app_context():
        create_user("admin@metropole.example", PASSWORD, "Admin", roles=("admin",), confirmed=True)
        db.session.commit()
    client = metropole.client
    response = submit(client, "/login", {"email": "admin@metropole.example", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/federation/").get_data(as_text=True)
    from plugins.federation.keys import fingerprint

    assert fingerprint(metropole.identity()["key_id"]) in page
    c = commune.identity()
    response = submit(
        client,
        "/federation/",
        {"url": commune.url, "public_key": "ed25519:bm90IGEga2V5", "role": "commune"},
        action="/federation/peers",
    )
    assert response.status_code == 422
    assert "clé publique Ed25519" in response.get_data(as_text=True)
    response = submit(
        client,
        "/federation/",
        {"url": commune.url + "/", "public_key": c["public_key"], "role": "commune"},
        action="/federation/peers",
    )
    assert response.status_code == 302
    peer_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert fingerprint(c["key_id"]) in peer_page
    assert "À approuver sur ce hub" in peer_page
    response = submit(
        client, response.headers["Location"], {}, action=response.headers["Location"] + "/approve"
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "En attente de l" in page and "approbation de l" in page


def test_rotation_keeps_the_old_key_valid_during_the_overlap(in_process_hubs):
    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    old = metropole.identity()["key_id"]
    metropole.cli("rotate-key")
    new = metropole.identity()["key_id"]
    assert new != old
    sync(metropole)
    peer = _peer(commune, metropole.url)
    from plugins.federation.models import PeerKey

    with commune.app.app_context():
        keys = {k.key_id: k.expires_at for k in db.session.query(PeerKey).all()}
    assert keys[new] is None and keys[old] is not None  # old one accepted until it expires
    assert peer.status == "active"
    # Messages signed with the new key are accepted: a change of the métropole is pulled.
    assert _peer(metropole, commune.url).status == "active"


def test_a_suspended_link_accepts_and_sends_nothing(in_process_hubs):
    from plugins.federation import peers

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    with commune.app.app_context():
        peer = peers.find_by_url(metropole.url)
        peers.suspend(peer, "Fin de la convention")
        db.session.commit()
    with metropole.ctx():
        from plugins.federation import outbox

        with metropole.app.app_context():
            peer = peers.find_by_url(commune.url)
            outbox.enqueue(peer, "changed", {"feed": "projects", "seq": 1})
            db.session.commit()
            outbox.deliver()
            message = outbox.waiting()[0]
            assert "HTTP 403" in message.last_error
