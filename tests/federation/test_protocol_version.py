"""A peer speaking another version of the federation protocol gets a clear 400 saying which
side to update, and the admin's list of paired hubs says so: no silent failure."""

from conftest import AuthActions
from sqlalchemy import select

from hub.extensions import db

from .conftest import sync


def test_a_request_in_another_version_is_refused_with_what_to_update(in_process_hubs):
    metropole = in_process_hubs["metropole"]
    newer = metropole.client.post(
        "/federation/v1/inbox", data=b"{}", headers={"Hub-Federation-Protocol": "2"}
    )
    assert newer.status_code == 400
    assert newer.headers["Hub-Federation-Protocol"] == "1"
    document = newer.get_json()
    assert document["code"] == "protocol_version"
    assert document["protocol"] == 1 and document["received"] == 2
    assert "update this hub (the receiver)" in document["error"]
    older = metropole.client.get(
        "/federation/v1/feeds/projects", headers={"Hub-Federation-Protocol": "0"}
    )
    assert older.status_code == 400 and "update the sending hub" in older.get_json()["error"]
    # Unsigned requests of the same version still get the signature's 401.
    same = metropole.client.post(
        "/federation/v1/inbox", data=b"{}", headers={"Hub-Federation-Protocol": "1"}
    )
    assert same.status_code == 401
    assert metropole.client.get("/federation/v1/identity").get_json()["protocol"] == 1


def test_the_admin_reads_the_mismatch_beside_the_peer(in_process_hubs):
    from hub.accounts.services import create_user
    from plugins.federation.models import Outgoing, Peer

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    commune.app.config["FEDERATION_PROTOCOL"] = 2  # a commune hub already upgraded
    m, c = metropole.identity(), commune.identity()
    assert c["protocol"] == 2
    metropole.cli(
        "peers", "add", commune.url, "--key", c["public_key"], "--role", "commune", "--approve"
    )
    commune.cli(
        "peers", "add", metropole.url, "--key", m["public_key"], "--role", "metropole", "--approve"
    )
    sync(metropole, commune)

    expected = (
        "http://commune.test parle la version 2 du protocole de fédération, cette plateforme "
        "la version 1"
    )
    with metropole.app.app_context():
        peer = db.session.scalar(select(Peer))
        assert peer.protocol == 2 and peer.last_error.startswith(expected)
        message = db.session.scalar(select(Outgoing))
        assert message.delivered_at is None and message.last_error.startswith(expected)
        create_user(
            "admin@metropole.example",
            "correct horse battery",
            "Admin",
            roles=("admin",),
            confirmed=True,
        )
        db.session.commit()
    AuthActions(metropole.client).login("admin@metropole.example", "correct horse battery")
    page = metropole.client.get("/federation/").get_data(as_text=True)
    assert expected in page and "mettez à jour cette plateforme" in page
    with commune.app.app_context():  # and the other side reads the converse
        peer = db.session.scalar(select(Peer))
        assert peer.protocol == 1 and "son administrateur doit la mettre à jour" in (
            peer.last_error
        )
