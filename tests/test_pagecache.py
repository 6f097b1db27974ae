"""The in-process page cache: anonymous, cookie-less pages only, short-lived, keyed on what
such a page depends on."""

import time

import pytest

from hub.extensions import db


@pytest.fixture
def app(make_app):
    return make_app(page_cache_seconds=0.5, extra_plugins={"example": "example_plugin.plugin"})


def add_neighbourhood(app, name):
    from hub.territory.models import Commune, Neighbourhood

    with app.app_context():
        commune = db.session.scalar(db.select(Commune)) or Commune(name="Ormeval")
        db.session.add(Neighbourhood(commune=commune, name=name, slug=name.lower()))
        db.session.commit()


def test_anonymous_pages_are_served_from_cache_for_a_few_seconds(app):
    client = app.test_client()
    add_neighbourhood(app, "Bellevue")
    first = client.get("/territory").get_data(as_text=True)
    assert "Bellevue" in first
    add_neighbourhood(app, "Sablons")
    assert "Sablons" not in client.get("/territory").get_data(as_text=True)  # cached
    time.sleep(0.6)
    assert "Sablons" in client.get("/territory").get_data(as_text=True)  # expired


def test_cached_pages_still_answer_304_and_carry_security_headers(app):
    client = app.test_client()
    etag = client.get("/").headers["ETag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    hit = client.get("/")
    assert hit.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert hit.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in hit.headers


def test_logged_in_visitors_never_get_a_cached_page(app, make_user):
    from conftest import AuthActions

    make_user("amel@example.org", name="Amel")
    anonymous = app.test_client()
    assert "Amel" not in anonymous.get("/").get_data(as_text=True)
    resident = app.test_client()
    AuthActions(resident).login("amel@example.org")
    page = resident.get("/")
    assert "Mon espace" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-cache"


def test_switching_a_plugin_off_is_not_hidden_by_the_cache(app):
    from hub.pluginmanager import set_plugin_enabled

    client = app.test_client()
    assert 'href="/example/"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        set_plugin_enabled("example", False)
        db.session.commit()
    assert 'href="/example/"' not in client.get("/").get_data(as_text=True)


def test_language_choice_is_part_of_the_key(app):
    client = app.test_client()
    assert '<html lang="fr">' in client.get("/").get_data(as_text=True)
    client.get("/language/en")
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_cache_can_be_turned_off(make_app):
    app = make_app(page_cache_seconds=0)
    client = app.test_client()
    add_neighbourhood(app, "Bellevue")
    client.get("/territory")
    add_neighbourhood(app, "Sablons")
    assert "Sablons" in client.get("/territory").get_data(as_text=True)
    assert not app.extensions["hub_page_cache"].entries
