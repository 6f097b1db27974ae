"""Two hubs for federation tests: a métropole and a commune, each with its own instance
folder (keys), its own SQLite database and its own public address."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from conftest import PG_URL, TEST_CONFIG, _reset_postgres
from factories import make_body, make_project
from sqlalchemy import select

from hub import create_app
from hub.audit import SYSTEM
from hub.extensions import db

NAMES = {"metropole": "Métropole d'Ormeval", "commune": "Ville d'Ormeval"}


class Hub:
    def __init__(self, role: str, app):
        self.role, self.app = role, app
        self.url = app.config["BASE_URL"]
        self.client = app.test_client()

    def ctx(self):
        """An app and request context of this hub (for its services and signing)."""
        return self.app.test_request_context("/", base_url=self.url)

    def cli(self, *args):
        result = self.app.test_cli_runner().invoke(args=["federation", *args])
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    def identity(self) -> dict:
        return self.client.get("/federation/v1/identity").get_json()

    def pending(self):
        """What ``hub worker`` does after a request: hand events to subscribers."""
        from hub.worker import run_pending

        with self.app.app_context():
            return run_pending()


def build_hub(folder, role: str, base_url: str, template, database_url=None, **config) -> Hub:
    folder.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        shutil.copy(template, folder / "hub.sqlite")
    app = create_app(
        {
            **TEST_CONFIG,
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": database_url or f"sqlite:///{folder / 'hub.sqlite'}",
            "BASE_URL": base_url,
            "FEDERATION_RETRY_SECONDS": 0,
            **config,
        }
    )
    with app.app_context():
        app.extensions["hub"].settings.set("commune_name", NAMES[role])
        db.session.commit()
    return Hub(role, app)


@pytest.fixture
def in_process_hubs(tmp_path, _sqlite_template, monkeypatch, request):
    """Two hubs in this process; requests between them go through the other's test client
    (signed and verified for real; the transport alone is in-process). With
    ``HUB_TEST_DATABASE_URL`` the métropole runs on PostgreSQL, the commune on SQLite."""
    from plugins.federation import outbox
    from plugins.federation.signing import sign_request

    databases = {}
    if PG_URL:
        _reset_postgres(request.getfixturevalue("_postgres_schema"))
        databases["metropole"] = PG_URL
    hubs = {
        role: build_hub(
            tmp_path / role,
            role,
            f"http://{role}.test",
            _sqlite_template,
            database_url=databases.get(role),
        )
        for role in ("metropole", "commune")
    }
    by_host = {urlsplit(h.url).netloc: h for h in hubs.values()}

    def http(base_url, method, path, body=b"", key_id=None):
        target = by_host.get(urlsplit(base_url).netloc)
        if target is None:
            raise outbox.TransportError("unknown host")
        url = base_url.rstrip("/") + path
        headers = sign_request(method, url, body, key_id=key_id)
        response = target.client.open(
            path,
            method=method,
            data=body if method == "POST" else None,
            headers=headers,
            base_url=target.url,
        )
        return response.status_code, dict(response.headers.items()), response.get_data()

    monkeypatch.setattr(outbox, "http", http)
    yield hubs
    for hub in hubs.values():
        with hub.app.app_context():
            db.session.remove()
            db.engine.dispose()


def pair(metropole: Hub, commune: Hub) -> None:
    """Both admins add the other with its key and approve; then both sync."""
    m, c = metropole.identity(), commune.identity()
    metropole.cli(
        "peers", "add", commune.url, "--key", c["public_key"], "--role", "commune", "--approve"
    )
    commune.cli(
        "peers", "add", metropole.url, "--key", m["public_key"], "--role", "metropole", "--approve"
    )
    sync(metropole, commune)


def sync(*hubs: Hub) -> None:
    for hub in hubs:
        hub.pending()
        with hub.ctx():
            from plugins.federation.cli import sync_once

            sync_once(full=True)


def people_whose_names_must_not_cross(metropole: Hub, commune: Hub, phase: str) -> dict:
    """The commune's body with its president and a resident, the métropole's agent owning a
    published tram project, both hubs paired and synced. Their names and addresses are the
    secrets no message between hubs may carry; returns the ids."""
    from hub.accounts.services import create_user

    with commune.app.app_context():
        president = create_user(
            "pres@ormeval.example", "correct horse battery", "Présidente", confirmed=True
        )
        president.full_name = "Odile Présidente-Cachée"
        resident = create_user(
            "amel.secret@ormeval.example", "correct horse battery", "Amel Secrète", confirmed=True
        )
        db.session.commit()
        president_id, resident_id = president.id, resident.id
    make_body(commune.app, members=[(president_id, "president")])
    pair(metropole, commune)
    with metropole.app.app_context():
        owner = create_user(
            "owner.secret@metropole.example",
            "correct horse battery",
            "Gaston Propriétaire",
            roles=("agent",),
            confirmed=True,
        )
        db.session.commit()
        owner_id = owner.id
    tram = make_project(
        metropole.app, title="Ligne de tram T9", phase=phase, published=True, owner_id=owner_id
    )
    sync(metropole, commune, metropole)
    return {"president": president_id, "resident": resident_id, "tram": tram}


def invite_the_remote_body(metropole: Hub, project_id: int, message: str = "") -> str:
    """The métropole invites the one body the commune published as a relay of a project
    (report due in 30 days); returns the relay's uuid."""
    from hub.projects.models import Project
    from plugins.federation import relays
    from plugins.federation.models import RemoteBody

    with metropole.ctx():
        relay = relays.invite(
            db.session.get(Project, project_id),
            db.session.scalar(select(RemoteBody)),
            date.today() + timedelta(days=30),
            message,
            SYSTEM,
        )
        db.session.commit()
        return relay.uuid


def accept_gather_and_report(
    commune: Hub, president_id: int, resident_id: int, contribution: str, report: str
) -> None:
    """On the commune's hub, the body's president accepts the relay, enters a resident's
    contribution gathered at a meeting and submits the report (40 residents reached)."""
    from hub.accounts.models import User
    from hub.contributions import services as contributions
    from hub.projects import services
    from hub.projects.models import Relay

    with commune.ctx():
        local = db.session.scalar(select(Relay))
        chair = db.session.get(User, president_id)
        services.respond_to_invitation(local, True, "", chair)
        contributions.add(
            local.project,
            contribution,
            channel="relay",
            source=local,
            author=db.session.get(User, resident_id),
            entered_by=chair,
        )
        services.submit_report(local, report, 40, chair)
        db.session.commit()
