"""Signing is a legal act (RGAA 11.10-11.12): a confirmation step repeats what is signed and
how before the act, and the signer may withdraw the signature or hide their name as long as
signatures are open; afterwards neither is possible."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import csrf_from

sys.path.insert(0, str(Path(__file__).parent))
from petition_helpers import configure, open_petition, resident
from sqlalchemy import select

from hub.audit import AuditEntry
from hub.extensions import db
from hub.signatures.models import Signature, SignatureCollection
from plugins.petitions.models import Petition

TITLE = "Élargir les trottoirs rue des Écoles"


def collection_of(app, petition_id) -> SignatureCollection:
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        collection = db.session.get(SignatureCollection, petition.collection_id)
        db.session.expunge(collection)
        return collection


def signatures_of(app, collection_id) -> list[tuple[int, bool]]:
    with app.app_context():
        return [
            (s.user_id, s.public_name)
            for s in db.session.scalars(
                select(Signature).where(Signature.collection_id == collection_id)
            )
        ]


def test_the_first_button_leads_to_a_confirmation_that_repeats_what_is_signed(
    app, client, auth, make_user
):
    configure(app)
    resident(make_user, "ana@example.org")
    ben = resident(make_user, "ben@example.org")
    petition_id = open_petition(app, "ana@example.org", title=TITLE)
    auth.login("ben@example.org")
    url = f"/petitions/{petition_id}"
    page = client.get(url).get_data(as_text=True)
    box = page[page.index('id="sign-box"') :]
    form = box[: box.index("</form>")]
    # The first step asks nothing irreversible: a GET to the confirmation, no CSRF token.
    assert 'method="get"' in form and 'name="sign" value="confirm"' in form
    assert "csrf_token" not in form and f'action="{url}/sign"' not in form
    confirm = client.get(f"{url}?sign=confirm&public_name=y").get_data(as_text=True)
    assert "Vérifiez avant de signer" in confirm and TITLE in confirm
    assert "Votre nom figurera dans la liste publique" in confirm
    assert "retirer" in confirm  # the right to withdraw, said before the act
    assert f'action="{url}/sign"' in confirm and 'name="public_name" value="y"' in confirm
    private = client.get(f"{url}?sign=confirm").get_data(as_text=True)
    assert "Votre nom ne figurera pas publiquement" in private
    assert 'name="public_name"' not in private[private.index("Vérifiez") :]
    assert signatures_of(app, collection_of(app, petition_id).id) == []  # nothing signed yet
    client.post(f"{url}/sign", data={"csrf_token": csrf_from(confirm), "public_name": "y"})
    assert signatures_of(app, collection_of(app, petition_id).id) == [(ben, True)]


def test_the_signer_hides_their_name_then_withdraws_while_signatures_are_open(
    app, client, auth, make_user
):
    configure(app)
    resident(make_user, "ana@example.org")
    ben = resident(make_user, "ben@example.org")
    petition_id = open_petition(app, "ana@example.org", title=TITLE)
    collection = collection_of(app, petition_id)
    auth.login("ben@example.org")
    url = f"/petitions/{petition_id}"
    page = client.get(f"{url}?sign=confirm").get_data(as_text=True)
    client.post(f"{url}/sign", data={"csrf_token": csrf_from(page), "public_name": "y"})
    page = client.get(url).get_data(as_text=True)
    assert "Masquer mon nom" in page and "Retirer ma signature" in page
    hidden = client.post(
        f"/signatures/{collection.id}/public-name", data={"csrf_token": csrf_from(page)}
    )
    assert hidden.status_code == 302 and hidden.headers["Location"] == f"{url}#sign-box"
    assert signatures_of(app, collection.id) == [(ben, False)]
    page = client.get(url).get_data(as_text=True)
    assert "Votre nom ne figure plus dans la liste publique" in page and "Afficher mon nom" in page
    withdrawn = client.post(
        f"/signatures/{collection.id}/withdraw", data={"csrf_token": csrf_from(page)}
    )
    assert withdrawn.status_code == 302
    assert signatures_of(app, collection.id) == []
    assert collection_of(app, petition_id).online_count == 0  # the counter follows
    page = client.get(url).get_data(as_text=True)
    assert "Votre signature est retirée" in page and "0 signature" in page
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEntry).where(AuditEntry.action == "signatures.withdrawn")
            ).actor_id
            == ben
        )
    # Signing again is possible while the petition is open.
    page = client.get(f"{url}?sign=confirm").get_data(as_text=True)
    client.post(f"{url}/sign", data={"csrf_token": csrf_from(page)})
    assert signatures_of(app, collection.id) == [(ben, False)]


def test_once_signatures_are_closed_the_signature_stays(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    ben = resident(make_user, "ben@example.org")
    petition_id = open_petition(app, "ana@example.org", title=TITLE)
    collection = collection_of(app, petition_id)
    auth.login("ben@example.org")
    url = f"/petitions/{petition_id}"
    page = client.get(f"{url}?sign=confirm").get_data(as_text=True)
    client.post(f"{url}/sign", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        from hub.signatures import services

        services.close_collection(db.session.get(SignatureCollection, collection.id))
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Retirer ma signature" not in page
    refused = client.post(
        f"/signatures/{collection.id}/withdraw", data={"csrf_token": csrf_from(page)}
    )
    assert refused.status_code == 302
    assert "La collecte de signatures est close" in client.get(url).get_data(as_text=True)
    assert signatures_of(app, collection.id) == [(ben, False)]


def test_only_ones_own_signature_and_only_with_a_form(app, client, auth, make_user):
    configure(app)
    resident(make_user, "ana@example.org")
    ben = resident(make_user, "ben@example.org")
    resident(make_user, "cleo@example.org")
    petition_id = open_petition(app, "ana@example.org", title=TITLE)
    collection = collection_of(app, petition_id)
    url = f"/petitions/{petition_id}"
    token = csrf_from(client.get("/login").get_data(as_text=True))
    anonymous = client.post(f"/signatures/{collection.id}/withdraw", data={"csrf_token": token})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login("ben@example.org")
    page = client.get(f"{url}?sign=confirm").get_data(as_text=True)
    client.post(f"{url}/sign", data={"csrf_token": csrf_from(page)})
    assert client.post(f"/signatures/{collection.id}/withdraw").status_code == 400  # no token
    assert signatures_of(app, collection.id) == [(ben, False)]
    auth.logout()
    auth.login("cleo@example.org")
    page = client.get(url).get_data(as_text=True)
    client.post(f"/signatures/{collection.id}/withdraw", data={"csrf_token": csrf_from(page)})
    assert signatures_of(app, collection.id) == [(ben, False)]  # cleo has nothing to withdraw
    missing = client.post("/signatures/999999/withdraw", data={"csrf_token": csrf_from(page)})
    assert missing.status_code == 404
