"""One test per hookspec, through the example plugin in tests/example_plugin."""

from datetime import datetime

import pytest
from conftest import PASSWORD, outbox_messages, submit
from sqlalchemy import select

from hub.extensions import db


@pytest.fixture
def app(make_app):
    return make_app(extra_plugins={"example": "example_plugin.plugin"})


@pytest.fixture
def client(app):
    return app.test_client()


def notes(app):
    from example_plugin.models import ExampleNote

    with app.app_context():
        return db.session.scalars(select(ExampleNote.text).order_by(ExampleNote.id)).all()


def test_hook_hub_register_blueprints(client):
    response = client.get("/example/")
    assert response.status_code == 200
    assert "Bonjour" in response.get_data(as_text=True)


def test_hook_hub_register_migrations(app):
    from hub.migrating import migration_sources

    sources = {owner: table for owner, _folder, table in migration_sources(app)}
    assert sources["example"] == "alembic_version_example"


def test_hook_hub_register_permissions(app, make_user):
    from hub.accounts.models import User

    agent = make_user(roles=("agent",))
    resident = make_user()
    with app.test_request_context():
        assert db.session.get(User, agent).can("example.manage")
        assert not db.session.get(User, resident).can("example.manage")


def test_hook_hub_register_settings(app, client):
    with app.app_context():
        app.extensions["hub"].settings.set("example_greeting", "Salut")
        db.session.commit()
    assert "Salut" in client.get("/example/").get_data(as_text=True)


def test_hook_hub_register_commands(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from hub.cli import make_cli

    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HUB_EXTRA_PLUGINS", '{ example = "example_plugin.plugin" }')
    result = CliRunner().invoke(make_cli(), ["example-hello"])
    assert result.exit_code == 0, result.output
    assert "hello from the example plugin" in result.output


def test_hook_hub_openapi_paths(client):
    document = client.get("/api/v1/openapi.json").json
    assert "/api/v1/example" in document["paths"]


def test_hook_hub_navigation_items(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/example/"' in html


def test_hook_hub_template_slot(client):
    assert '<p class="example-slot">Bonjour</p>' in client.get("/").get_data(as_text=True)


def test_hook_hub_user_activity(app, client):
    submit(client, "/register", {"display_name": "Zoé", "email": "zoe@example.org",
                                 "password": PASSWORD, "password_confirm": PASSWORD,
                                 "accept_terms": "y"})
    submit(client, "/login", {"email": "zoe@example.org", "password": PASSWORD})
    assert "registered zoe@example.org" in client.get("/me").get_data(as_text=True)


def test_hook_hub_agenda_events(app):
    with app.app_context():
        hook = app.extensions["hub"].plugins.hook("hub_agenda_events")
        results = hook(start=datetime(2030, 1, 1), end=datetime(2030, 2, 1), filters={})
    events = [e for batch in results for e in batch]
    assert [e.title for e in events] == ["Example session"]


def test_hook_hub_on_user_registered(app, client):
    submit(client, "/register", {"display_name": "Zoé", "email": "zoe@example.org",
                                 "password": PASSWORD, "password_confirm": PASSWORD,
                                 "accept_terms": "y"})
    assert notes(app) == ["registered zoe@example.org"]
    assert len(outbox_messages(app)) == 1


def test_hook_hub_on_residence_verified(app, client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    resident = make_user("res@example.org")
    auth.login("agent@example.org")
    response = submit(client, f"/staff/residence/{resident}", {"note": "facture EDF"})
    assert response.status_code == 302
    assert notes(app) == ["verified by desk"]


def test_hook_hub_on_user_deleted(app, client, auth):
    submit(client, "/register", {"display_name": "Zoé", "email": "zoe@example.org",
                                 "password": PASSWORD, "password_confirm": PASSWORD,
                                 "accept_terms": "y"})
    auth.login("zoe@example.org")
    submit(client, "/me/delete", {"password": PASSWORD, "confirm": "y"})
    assert notes(app) == ["anonymised"]


def test_hook_hub_export_personal_data(app, client, auth):
    submit(client, "/register", {"display_name": "Zoé", "email": "zoe@example.org",
                                 "password": PASSWORD, "password_confirm": PASSWORD,
                                 "accept_terms": "y"})
    auth.login("zoe@example.org")
    data = client.get("/me/data.json").json
    assert data["example"] == {"notes": ["registered zoe@example.org"]}


def test_hook_hub_load_demo_content(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    assert "demo note" in notes(app)


def test_a_plain_string_from_a_slot_is_escaped(app, client):
    from hub.hookspecs import hookimpl

    class Careless:
        @hookimpl
        def hub_template_slot(slot, context):
            return "<script>alert(1)</script>" if slot == "home" else None

    app.extensions["hub"].plugins.pm.register(Careless, name="careless")
    html = client.get("/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
