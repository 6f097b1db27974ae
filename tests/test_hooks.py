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
    submit(
        client,
        "/register",
        {
            "display_name": "Zoé",
            "email": "zoe@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    submit(client, "/login", {"email": "zoe@example.org", "password": PASSWORD})
    assert "registered zoe@example.org" in client.get("/me").get_data(as_text=True)


def test_hook_hub_agenda_events(app):
    with app.app_context():
        hook = app.extensions["hub"].plugins.hook("hub_agenda_events")
        results = hook(start=datetime(2030, 1, 1), end=datetime(2030, 2, 1), filters={}, limit=None)
    events = [e for batch in results for e in batch]
    assert [e.title for e in events] == ["Example session"]


def test_hook_hub_agenda_organisers(app):
    with app.app_context():
        hook = app.extensions["hub"].plugins.hook("hub_agenda_organisers")
        found = hook(start=datetime(2030, 1, 1), end=datetime(2030, 2, 1))
        assert ("example", 1) in [ref for batch in found for ref in batch]
        later = hook(start=datetime(2031, 1, 1), end=datetime(2031, 2, 1))
        assert all(("example", 1) not in batch for batch in later)


def test_hook_hub_on_user_registered(app, client):
    submit(
        client,
        "/register",
        {
            "display_name": "Zoé",
            "email": "zoe@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    assert notes(app) == ["registered zoe@example.org"]
    assert len(outbox_messages(app)) == 1


def test_hook_hub_on_residence_verified(app, client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    resident = make_user("res@example.org")
    auth.login("agent@example.org")
    response = submit(
        client, f"/staff/residence/{resident}", {"note": "facture EDF", "birth_date": "1980-01-01"}
    )
    assert response.status_code == 302
    assert notes(app) == ["verified by desk"]


def test_hook_hub_on_user_deleted(app, client, auth):
    submit(
        client,
        "/register",
        {
            "display_name": "Zoé",
            "email": "zoe@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    auth.login("zoe@example.org")
    submit(client, "/me/delete", {"password": PASSWORD, "confirm": "y"})
    assert notes(app) == ["anonymised"]


def test_hook_hub_export_personal_data(app, client, auth):
    submit(
        client,
        "/register",
        {
            "display_name": "Zoé",
            "email": "zoe@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "accept_terms": "y",
        },
    )
    auth.login("zoe@example.org")
    data = client.get("/me/data.json").json
    assert data["example"] == {"notes": ["registered zoe@example.org"]}


def test_hook_hub_load_demo_content(app):
    from hub.demo import load_demo

    with app.app_context():
        load_demo(app)
    assert "demo note" in notes(app)


def test_hook_hub_load_demo_content_metropole_variant(app):
    """The métropole's demo asks only the implementations that take ``variant``."""
    from sqlalchemy import select

    from hub.demo import load_metropole_demo
    from hub.projects.models import Project

    with app.app_context():
        load_metropole_demo(app)
        projects = db.session.scalars(select(Project)).all()
        assert {p.level for p in projects} == {"metropolitan"} and len(projects) == 3
        assert app.extensions["hub"].settings.get("commune_name") == "Métropole du Val d'Orne"
    assert "demo note" not in notes(app)


def test_hook_hub_load_scale_content(app):
    """The bulk demo asks every implementation for its share, after the core's rows."""
    from hub.scale import load_scale

    with app.app_context():
        scale = load_scale(app, "metropole", 0.001)
        assert scale.user_ids
    assert notes(app) == ["scale note"]  # count(1000) at a thousandth


def test_a_plain_string_from_a_slot_is_escaped(app, client):
    from hub.hookspecs import hookimpl

    class Careless:
        @hookimpl
        def hub_template_slot(slot, context):
            return "<script>alert(1)</script>" if slot == "home" else None

    app.extensions["hub"].plugins.pm.register(Careless, name="careless")
    html = client.get("/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


# --- Participable objects, events, channels, jobs, object pages ----------------------------


def _note(app, text="une note") -> int:
    from example_plugin.models import ExampleNote

    with app.app_context():
        note = ExampleNote(user_id=None, text=text)
        db.session.add(note)
        db.session.commit()
        return note.id


def test_hook_hub_register_object_types(app, make_user):
    """A plugin's object type is known to the shared services: sessions attach to it and ask
    its owner's check who may organise them."""
    from example_plugin.models import ExampleNote

    from hub.accounts.models import User
    from hub.registry import object_url, registry
    from hub.sessions import services as sessions

    note_id = _note(app)
    agent, resident = make_user(roles=("agent",)), make_user()
    with app.test_request_context():
        note = db.session.get(ExampleNote, note_id)
        assert registry().ref(note) == ("example_note", note_id)
        assert object_url(note) == f"/example/notes/{note_id}"
        session = sessions.create_session(
            title="Atelier", starts_at=datetime(2030, 3, 1, 18), target=note
        )
        assert sessions.target_of(session) is note
        assert sessions.can_organise(db.session.get(User, agent), session)
        assert not sessions.can_organise(db.session.get(User, resident), session)


def test_hook_hub_register_event_types(app):
    from example_plugin.models import ExampleNote

    from hub.db import write_transaction
    from hub.events import OutboxEvent, emit

    note_id = _note(app)
    with app.test_request_context():
        with write_transaction():
            emit("example.noted", db.session.get(ExampleNote, note_id))
        with pytest.raises(KeyError, match="undeclared"):
            emit("example.misspelt", db.session.get(ExampleNote, note_id))
        row = db.session.scalars(select(OutboxEvent)).one()
        assert (row.name, row.target_type, row.target_id) == (
            "example.noted",
            "example_note",
            note_id,
        )


def test_hook_hub_register_contribution_channels(app, make_user):
    from example_plugin.models import ExampleNote

    from hub.accounts.models import User
    from hub.contributions import services as contributions
    from hub.db import write_transaction
    from hub.errors import RuleError

    note_id, closed_id = _note(app), _note(app, "closed")
    agent = make_user(roles=("agent",))
    with app.test_request_context(headers={"Cookie": "hub_lang=en"}):
        assert "example_kiosk" in contributions.channels()
        note = db.session.get(ExampleNote, note_id)
        with pytest.raises(RuleError, match="entered by"):  # an offline channel needs an agent
            contributions.add(note, "Du papier", channel="example_kiosk")
        with write_transaction():
            item = contributions.add(
                note, "Du papier", channel="example_kiosk", entered_by=db.session.get(User, agent)
            )
        assert (item.target_type, item.channel) == ("example_note", "example_kiosk")
        with pytest.raises(RuleError, match="takes no contribution"):
            contributions.add(
                db.session.get(ExampleNote, closed_id),
                "Non",
                channel="example_kiosk",
                entered_by=db.session.get(User, agent),
            )


def test_hook_hub_scheduled_jobs(app):
    from hub import worker

    with app.app_context():
        assert worker.run_jobs()["example.tidy"] == "1 note"
        assert "example.tidy" not in worker.run_jobs()  # not due again before an hour
        assert worker.run_jobs(force=True, only="example.tidy") == {"example.tidy": "1 note"}
    assert notes(app).count("tidied") == 2


def test_hook_hub_api_record_extra(app, client):
    from factories import make_body, make_project

    body_id = make_body(app)
    assert client.get(f"/api/v1/bodies/{body_id}").json["example"] == f"body {body_id}"
    project_id = make_project(app)
    record = client.get(f"/api/v1/projects/{project_id}").json
    assert record["example"] == f"project {project_id}" and record["id"] == project_id


def test_hook_hub_on_event(app):
    """Subscribers run after the commit, outside the request, once per event."""
    from example_plugin.models import ExampleNote

    from hub.db import write_transaction
    from hub.events import deliver_events, emit

    note_id = _note(app)
    with app.test_request_context():
        with write_transaction():
            emit("example.noted", db.session.get(ExampleNote, note_id))
        assert f"heard example.noted {note_id}" not in notes(app)
        assert deliver_events() == 1
        assert deliver_events() == 0
    assert notes(app).count(f"heard example.noted {note_id}") == 1


def _shows_section(html: str, page: str) -> bool:
    return f'<p class="example-section">example section on the {page} page</p>' in html


def test_hook_hub_project_page(app, client):
    from factories import make_project

    project_id = make_project(app)
    assert _shows_section(client.get(f"/projects/{project_id}").get_data(True), "project")


def test_hook_hub_neighbourhood_page(app, client):
    from factories import make_territory

    make_territory(app)
    assert _shows_section(client.get("/territory/bellevue").get_data(True), "neighbourhood")


def test_hook_hub_body_page(app, client):
    from factories import make_body

    body_id = make_body(app)
    assert _shows_section(client.get(f"/bodies/{body_id}").get_data(True), "body")


def test_hook_hub_session_page(app, client):
    from factories import make_session

    session_id = make_session(app)
    assert _shows_section(client.get(f"/sessions/{session_id}").get_data(True), "session")


def test_hook_hub_dashboard(app, client, make_user, auth):
    make_user("zoe@example.org")
    auth.login("zoe@example.org")
    assert _shows_section(client.get("/me").get_data(True), "dashboard")


def test_hook_hub_staff_area(app, client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    assert _shows_section(client.get("/staff").get_data(True), "staff")


def test_hook_hub_open_data(app, client):
    html = client.get("/open-data").get_data(as_text=True)
    assert '<a href="/example/">Example notes</a>' in html
    assert "Notes of the example plugin." in html


def test_hook_hub_oparl_objects(app, client):
    from hub.oparl.export import refresh

    _note(app, "Une note versée au registre")
    with app.test_request_context():
        refresh()
    papers = client.get("/oparl/v1/body/hub/paper").get_json()["data"]
    note = next(p for p in papers if p["name"] == "Une note versée au registre")
    assert note["paperType"] == "Note" and note["id"].endswith("/oparl/v1/paper/example-note-1")
    assert note["mainFile"]["text"] == "Une note versée au registre"


def test_hook_hub_neighbourhood_news(app):
    from datetime import datetime

    from hub.notifications.digests import neighbourhood_news

    with app.test_request_context():
        news = neighbourhood_news([7, 3], datetime(2026, 11, 23), datetime(2026, 11, 30))
    assert [(n.title, n.url) for n in news[3]] == [("Example news near you", "/example/")]
    assert 7 not in news


def test_hook_hub_annual_report(app, client):
    _note(app, "une note")
    _note(app, "une autre")
    client.set_cookie("hub_lang", "en")
    year = client.get("/participation-report").get_data(as_text=True)
    from hub.timeutil import local_today

    with app.app_context():
        this_year = local_today().year
    assert f"/participation-report/{this_year}" in year
    page = client.get(f"/participation-report/{this_year}").get_data(as_text=True)
    assert '<h2 id="example_notes-title">Example notes</h2>' in page
    assert "<dt>Notes written</dt><dd>2</dd>" in page
    assert '<svg class="report-chart" id="example_notes-chart" role="img"' in page
    data = client.get(f"/participation-report/{this_year}.csv").get_data(as_text=True)
    assert '"example_notes","notes","Notes written","2",""' in data


def test_hook_hub_work_items(app, client, make_user, auth):
    make_user("agent@example.org", roles=("agent",))
    auth.login("agent@example.org")
    page = client.get("/staff").get_data(as_text=True)
    assert "Note to check" in page and "Une note en retard" in page
    assert "31 janvier 2020" in page and "délai légal" in page and "Équipe exemple" in page
    assert '<span class="badge badge--late">1 en retard</span>' in page
    auth.logout()
    make_user("elu@example.org", roles=("elected",))
    auth.login("elu@example.org")
    assert "Note to check" not in client.get("/staff").get_data(as_text=True)


def test_hook_hub_grants(app, make_user):
    from factories import make_territory

    from hub.registry import allows
    from hub.territory.models import Neighbourhood

    make_territory(app)
    curator = make_user("curator@example.org")
    other = make_user("other@example.org")
    with app.test_request_context():
        quarter = db.session.scalars(select(Neighbourhood)).first()
        from hub.accounts.models import User

        assert allows(db.session.get(User, curator), quarter, "example.pin")
        assert not allows(db.session.get(User, other), quarter, "example.pin")
        assert not allows(db.session.get(User, curator), quarter, "manage")


def test_hook_hub_search(app, client):
    _note(app, "Une note sur les 100% jardins partagés")
    html = client.get("/search?q=jardins").get_data(as_text=True)
    assert "Une note sur les 100% jardins partagés" in html and "Notes" in html
    # LIKE wildcards typed by people are searched for literally.
    assert "jardins partagés" not in client.get("/search?q=_ardin").get_data(as_text=True)
    assert "jardins partagés" in client.get("/search?q=100%25").get_data(as_text=True)
