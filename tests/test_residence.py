"""Residence verification: census import (hashes only), self-check, desk verification."""

from conftest import post_with_csrf, submit
from sqlalchemy import select

from hub.accounts.models import User
from hub.audit import AuditEntry
from hub.extensions import db
from hub.residence.models import CensusEntry

CENSUS = (
    "nom;prenom;date_naissance\n"
    "Dubois;Claire;12/03/1985\n"
    "HADDAD;Karim;1979-11-02\n"
    "Lefèvre;Élodie;01/01/2001\n"
    "incomplet;;\n"
).encode()


def upload_census(client, content=CENSUS, filename="recensement.csv"):
    from io import BytesIO

    page = client.get("/staff/residence").get_data(as_text=True)
    from conftest import csrf_from

    return client.post(
        "/staff/residence/import",
        data={"csrf_token": csrf_from(page), "file": (BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_census_import_keeps_only_salted_hashes(app, client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    response = upload_census(client)
    assert response.status_code == 302
    page = client.get("/staff/residence").get_data(as_text=True)
    assert "3" in page  # entries
    with app.app_context():
        hashes = db.session.scalars(select(CensusEntry.key_hash)).all()
        assert len(hashes) == 3
        dump = " ".join(hashes)
        assert "DUBOIS" not in dump and "Claire" not in dump
        assert all(len(h) == 64 for h in hashes)
        assert db.session.scalar(
            select(AuditEntry.action).where(AuditEntry.action == "residence.census_imported")
        )


def test_census_with_wrong_columns_is_refused_clearly(client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    response = upload_census(client, b"name,town\nA,B\n")
    assert response.status_code == 422
    assert "Colonnes manquantes" in response.get_data(as_text=True)


def test_census_whose_every_line_is_invalid_is_refused_and_the_list_kept(
    app, client, make_user, auth
):
    """Issue 11, item 10: a file of unreadable lines is refused with the reason (no 500), and
    the census list in place stays."""
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert upload_census(client).status_code == 302
    for content in (
        b"nom;prenom;date_naissance\nDUBOIS;Claire;pas une date\n;;\nX;Y;31/02/1980\n",
        b"nom;prenom;date_naissance\n",
        b"nom;prenom;date_naissance\n\xff\xfe;\x00;9999-99-99\n",
    ):
        response = upload_census(client, content)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, content
        assert "Aucune ligne de ce fichier n’a pu être lue" in html, html
        assert "La liste de recensement actuelle est conservée" in html
    with app.app_context():
        assert len(db.session.scalars(select(CensusEntry.key_hash)).all()) == 3


def test_resident_matches_the_census_despite_case_and_accents(app, client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    resident = make_user("elodie@example.org")
    auth.login("agent@example.org")
    upload_census(client)
    auth.logout()
    auth.login("elodie@example.org")
    response = submit(
        client,
        "/me/residence",
        {"last_name": "LEFEVRE", "first_name": "elodie", "birth_date": "2001-01-01"},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, resident)
        assert user.residence_verified and user.residence_method == "census"


def test_resident_not_on_census_gets_a_clear_answer(client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    make_user("x@example.org")
    auth.login("agent@example.org")
    upload_census(client)
    auth.logout()
    auth.login("x@example.org")
    response = submit(
        client,
        "/me/residence",
        {"last_name": "Inconnu", "first_name": "Jean", "birth_date": "1990-01-01"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Inconnu"' in html
    assert "guichet" in html.lower()


def test_desk_verification_is_audited(app, client, make_user, auth):
    agent = make_user("agent@example.org", roles=("agent",))
    resident = make_user("paul@example.org", full_name="Paul Girard")
    auth.login("agent@example.org")
    search = client.get("/staff/residence?q=girard").get_data(as_text=True)
    assert f"/staff/residence/{resident}" in search
    response = submit(
        client,
        f"/staff/residence/{resident}",
        {"note": "quittance de loyer", "birth_date": "1990-04-02"},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, resident)
        assert user.residence_method == "desk" and user.residence_verified_by_id == agent
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "residence.verified")
        )
        assert entry.actor_id == agent and entry.details["note"] == "quittance de loyer"


def test_residents_cannot_use_the_desk(client, make_user, auth):
    resident = make_user("paul@example.org")
    make_user("other@example.org")
    auth.login("other@example.org")
    assert client.get("/staff/residence").status_code == 403
    assert client.get(f"/staff/residence/{resident}").status_code == 403
    assert post_with_csrf(client, "/staff/residence/import").status_code == 403


def test_the_desk_s_lists_are_shared_by_agents_each_with_their_token(app, make_user):
    """The desk's lists and import form read alike for every agent (a shared part), each
    with their own CSRF token (a personal bit); a refused import is shown to its agent
    alone."""
    import re
    from io import BytesIO

    from conftest import AuthActions, csrf_from

    clients = {}
    for email in ("agent@example.org", "agente@example.org"):
        make_user(email, roles=("agent",))
        clients[email] = app.test_client()
        AuthActions(clients[email]).login(email)
        clients[email].get("/me")  # the login's message shown
    parts = app.extensions["hub_shared_parts"]
    parts.seconds = 3600
    first, second = clients.values()
    pages = [c.get("/staff/residence").get_data(as_text=True) for c in (first, second)]
    kept = [key for key, (entry, *_rest) in parts.entries.items() if entry]
    assert sum(1 for (site, *_r) in kept if site[0] == "residence/desk.html") == 1
    strip = re.compile(r'value="[^"]+"')
    assert strip.sub("", pages[0]) == strip.sub("", pages[1])
    assert csrf_from(pages[0]) != csrf_from(pages[1])
    refused = first.post(
        "/staff/residence/import",
        data={"csrf_token": csrf_from(pages[0]), "file": (BytesIO(b"name,town\nA,B\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "Colonnes manquantes" in refused.get_data(as_text=True)
    assert "Colonnes manquantes" not in second.get("/staff/residence").get_data(as_text=True)
    assert upload_census(second).status_code == 302  # the kept part's token is theirs
    assert "3" in first.get("/staff/residence").get_data(as_text=True)
