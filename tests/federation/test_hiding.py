"""The receiving hub may hide a federated project (its staff, audited, reversible) but never
edit it; a deletion on the origin arrives as a tombstone and removes the copy, or sets it
aside when residents here acted on it."""

from conftest import AuthActions, csrf_token
from factories import make_project
from sqlalchemy import select

from hub.audit import SYSTEM
from hub.extensions import db
from hub.projects.models import Project

from .conftest import pair, sync


def _copy(commune, metropole, title):
    with commune.app.app_context():
        return db.session.scalar(
            select(Project).where(Project.origin_hub == metropole.url, Project.title == title)
        )


def _listed(commune) -> set[str]:
    return {p["title"] for p in commune.client.get("/api/v1/projects").get_json()["projects"]}


def test_staff_hide_a_copy_and_show_it_again(in_process_hubs):
    from hub.accounts.services import create_user
    from hub.audit import AuditEntry

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    tram = make_project(metropole.app, title="Ligne de tram T9", published=True)
    sync(metropole, commune)
    copy_id = _copy(commune, metropole, "Ligne de tram T9").id
    with commune.app.app_context():
        create_user("agent@ormeval.example", "correct horse battery", "Agent", roles=("agent",))
        create_user("lea@ormeval.example", "correct horse battery", "Léa")
        db.session.commit()
    assert "Ligne de tram T9" in _listed(commune)

    # A resident may not hide it; an agent may, with a reason.
    AuthActions(commune.client).login("lea@ormeval.example", "correct horse battery")
    token = csrf_token(commune.client)
    refused = commune.client.post(
        f"/federation/copies/{copy_id}/hide", data={"csrf_token": token, "reason": "Doublon"}
    )
    assert refused.status_code == 403
    commune.client.post("/logout", data={"csrf_token": token})
    AuthActions(commune.client).login("agent@ormeval.example", "correct horse battery")
    page = commune.client.get(f"/projects/{copy_id}").get_data(as_text=True)
    assert "Masquer sur cette plateforme" in page
    token = csrf_token(commune.client)
    empty = commune.client.post(
        f"/federation/copies/{copy_id}/hide", data={"csrf_token": token, "reason": ""}
    )
    assert empty.status_code == 422
    done = commune.client.post(
        f"/federation/copies/{copy_id}/hide",
        data={"csrf_token": token, "reason": "Projet déjà présenté en réunion publique"},
    )
    assert done.status_code == 302
    page = commune.client.get(f"/projects/{copy_id}").get_data(as_text=True)
    assert "Masqué sur cette plateforme depuis" in page
    assert "Projet déjà présenté en réunion publique" in page

    anonymous = commune.app.test_client()
    assert anonymous.get(f"/projects/{copy_id}").status_code == 404
    assert anonymous.get(f"/api/v1/projects/{copy_id}").status_code == 404
    assert "Ligne de tram T9" not in _listed(commune)
    assert "Ligne de tram T9" not in anonymous.get("/projects").get_data(as_text=True)

    # Not edited: the origin's changes keep arriving, hidden.
    from hub.projects import services

    with metropole.ctx():
        project = db.session.get(Project, tram)
        project.title = "Ligne de tram T9 (tracé définitif)"
        services.advance_phase(project, SYSTEM)
        db.session.commit()
    sync(metropole, commune)
    with commune.app.app_context():
        copy = db.session.get(Project, copy_id)
        assert copy.title == "Ligne de tram T9 (tracé définitif)" and copy.hidden_at is not None

    # Shown again: listed as before; both acts are in the audit log.
    shown = commune.client.post(
        f"/federation/copies/{copy_id}/show", data={"csrf_token": csrf_token(commune.client)}
    )
    assert shown.status_code == 302
    assert "Ligne de tram T9 (tracé définitif)" in _listed(commune)
    with commune.app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("federation.copy_%"))
        ).all()
        assert actions == ["federation.copy_hidden", "federation.copy_shown"]


def test_a_tombstone_removes_the_copy_or_sets_it_aside(in_process_hubs):
    from hub.accounts.services import create_user
    from hub.follows import services as follows

    metropole, commune = in_process_hubs["metropole"], in_process_hubs["commune"]
    pair(metropole, commune)
    quiet = make_project(metropole.app, title="Plan vélo", published=True)
    followed = make_project(metropole.app, title="Plan climat", published=True)
    sync(metropole, commune)
    with commune.ctx():
        lea = create_user("lea@ormeval.example", "correct horse battery", "Léa", confirmed=True)
        follows.set_following(lea, _copy(commune, metropole, "Plan climat"), True)
        db.session.commit()
        kept_id = _copy(commune, metropole, "Plan climat").id

    with metropole.ctx():  # both withdrawn on the métropole (no longer published)
        db.session.get(Project, quiet).level = "communal"
        db.session.get(Project, followed).level = "communal"
        db.session.commit()
    sync(metropole, commune)
    assert _copy(commune, metropole, "Plan vélo") is None  # nobody here acted on it: gone
    with commune.app.app_context():
        kept = db.session.get(Project, kept_id)
        assert kept.hidden_at is not None
        assert kept.hidden_reason == "retiré par Métropole d'Ormeval"
    assert _listed(commune) == set()
