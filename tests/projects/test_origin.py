"""Projects published by another hub keep their origin: shown, read-only here, in the API,
one local copy per remote project; edits of a project are domain events."""

import pytest
from conftest import submit
from factories import make_body, make_project, make_territory
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub.audit import SYSTEM
from hub.events import OutboxEvent
from hub.extensions import db
from hub.projects import services
from hub.projects.models import Project, Relay

ORIGIN = {
    "origin_hub": "https://participation.metropole.example",
    "origin_uuid": "0b6f2d9e-1c1a-4a39-9a57-5f0b1f1f4c11",
    "origin_name": "Métropole d'Ormeval",
}


def test_a_remote_project_shows_its_origin_and_is_managed_there(app, client, auth, make_user):
    make_user("agent@example.org", roles=("agent",))
    remote = make_project(
        app, title="Ligne de tram T9", phase="strategie", published=True, **ORIGIN
    )
    local = make_project(app, title="Place du marché", level="communal")
    page = client.get(f"/projects/{remote}").get_data(as_text=True)
    assert "Publié par Métropole d&#39;Ormeval" in page
    assert "https://participation.metropole.example" in page
    assert "Publié par" not in client.get(f"/projects/{local}").get_data(as_text=True)
    assert "Publié par Métropole" in client.get("/projects").get_data(as_text=True)
    auth.login("agent@example.org")
    assert client.get(f"/projects/{remote}/edit").status_code == 403
    assert client.get(f"/projects/{local}/edit").status_code == 200

    records = {p["title"]: p for p in client.get("/api/v1/projects").get_json()["projects"]}
    assert records["Ligne de tram T9"]["origin"] == {
        "hub": ORIGIN["origin_hub"],
        "uuid": ORIGIN["origin_uuid"],
        "name": ORIGIN["origin_name"],
    }
    assert records["Place du marché"]["origin"] is None
    assert (
        client.get(f"/api/v1/projects/{remote}").get_json()["origin"]["uuid"]
        == (ORIGIN["origin_uuid"])
    )


def test_one_local_copy_per_remote_project(app):
    make_project(app, title="Ligne de tram T9", **ORIGIN)
    with pytest.raises(IntegrityError):
        make_project(app, title="Ligne de tram T9 bis", **ORIGIN)


def test_editing_a_project_is_an_event(app, client, auth, make_user):
    make_user("agent@example.org", roles=("agent",))
    make_territory(app)
    project_id = make_project(app, title="Place du marché", level="communal")
    from hub.territory.models import Commune

    with app.app_context():
        commune_id = db.session.scalar(select(Commune.id))
    auth.login("agent@example.org")
    page = f"/projects/{project_id}/edit"
    html = client.get(page).get_data(as_text=True)
    assert "Place du marché" in html
    response = submit(
        client,
        page,
        {
            "title": "Place du marché couvert",
            "summary": "Un marché couvert",
            "level": "communal",
            "domain": "public_space",
            "commune": str(commune_id),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        names = db.session.scalars(
            select(OutboxEvent.data).where(
                OutboxEvent.name == "project.updated", OutboxEvent.target_id == project_id
            )
        ).all()
    assert names == [{"change": "edited"}]


def test_an_invitation_from_the_publishing_hub_keeps_the_relay_uuid(app):
    body_id = make_body(app)
    project_id = make_project(app, phase="strategie", published=True, **ORIGIN)
    shared = "5d1e0f7a-1111-4c2b-8d4e-123456789abc"
    from datetime import date

    from hub.bodies.models import Body

    with app.test_request_context():
        relay = services.invite_body(
            db.session.get(Project, project_id),
            db.session.get(Body, body_id),
            date(2099, 1, 1),
            "Relayez le projet",
            SYSTEM,
            uuid=shared,
        )
        db.session.commit()
        relay = db.session.get(Relay, relay.id)
        assert relay.uuid == shared and relay.invited_by_id is None
        event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.name == "relay.invited"))
        assert event.target_uuid == shared and event.actor_id is None
