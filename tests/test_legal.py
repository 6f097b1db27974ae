"""The pages a public body must publish: the accessibility statement in its legal structure,
mentioned in every footer, the legal notice, terms of use and privacy notice, all edited by the
admin; two ways to find any page (site map and search)."""

from __future__ import annotations

import pytest
from conftest import submit


@pytest.fixture(autouse=True)
def french(client):
    client.set_cookie("hub_lang", "fr")


def test_the_statement_follows_the_legal_structure(app, client):
    with app.app_context():
        settings = app.extensions["hub"].settings
        settings.set("accessibility_status", "partiellement")
        settings.set("accessibility_rate", 82)
        settings.set("accessibility_audit_date", "14 novembre 2026")
        from hub.extensions import db

        db.session.commit()
    html = client.get("/accessibility").get_data(as_text=True)
    for heading in (
        "Déclaration d’accessibilité",
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d’information et contact",
        "Voies de recours",
    ):
        assert heading in html, heading
    assert "partiellement conforme" in html and "82 %" in html and "14 novembre 2026" in html
    assert "Défenseur des droits" in html and "article 47" in html


def test_every_page_mentions_the_state_of_compliance(app, client):
    for url in ("/", "/projects", "/login", "/does-not-exist"):
        assert "Accessibilité\u202f: non conforme" in client.get(url).get_data(as_text=True), url
    with app.app_context():
        app.extensions["hub"].settings.set("accessibility_status", "totalement")
        from hub.extensions import db

        db.session.commit()
    assert "Accessibilité\u202f: totalement conforme" in client.get("/").get_data(as_text=True)


def test_the_admin_edits_the_legal_pages_and_others_cannot(app, client, auth, make_user):
    make_user("admin@example.org", roles=("admin",))
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert client.get("/admin/settings/legal").status_code == 403
    auth.logout()
    auth.login("admin@example.org")
    page = client.get("/admin/settings/legal").get_data(as_text=True)
    assert "Mentions légales" in page and "Logo" not in page
    fields = {
        "accessibility_status": "partiellement",
        "accessibility_rate": "150",
        "legal_notice": "## Éditeur\n\nMairie d'Ormeval",
        "terms_of_use": "CGU",
        "privacy_notice": "Vie privée",
    }
    refused = submit(client, "/admin/settings/legal", fields)
    assert refused.status_code == 422  # a rate above 100 %
    assert "Mairie d&#39;Ormeval" in refused.get_data(as_text=True)  # what was typed stays
    saved = submit(client, "/admin/settings/legal", {**fields, "accessibility_rate": "75"})
    assert saved.status_code == 302
    notice = client.get("/legal-notice").get_data(as_text=True)
    assert "<h2>Éditeur</h2>" in notice and "Ormeval" in notice
    assert "75 %" not in client.get("/accessibility").get_data(as_text=True)  # no audit date
    assert "partiellement conforme" in client.get("/").get_data(as_text=True)


def test_registration_links_to_the_terms_and_the_privacy_notice(client):
    html = client.get("/register").get_data(as_text=True)
    form = html[html.index("<form") : html.index("</form>")]
    assert 'href="/terms"' in form and 'href="/privacy"' in form


def test_privacy_notice_says_how_to_exercise_rights(client):
    html = client.get("/privacy").get_data(as_text=True)
    for words in ("Finalités", "base légale", "Durées de conservation", "Vos droits", "CNIL"):
        assert words in html, words


def test_site_map_and_search_are_two_ways_to_any_page(app, client, make_project):
    make_project(title="Ligne de tram T3")
    sitemap = client.get("/sitemap").get_data(as_text=True)
    for link in ('href="/projects"', 'href="/accessibility"', 'href="/search"'):
        assert link in sitemap, link
    results = client.get("/search?q=tram").get_data(as_text=True)
    assert "Ligne de tram T3" in results and "1 résultat" in results
    assert "au moins deux caractères" in client.get("/search?q=t").get_data(as_text=True)
