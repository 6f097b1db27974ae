"""Two real hubs, each its own gunicorn process, database, key pair and address, exchanging
over HTTP on the loopback: pairing, a project published on the métropole appearing on the
commune, a relay invitation answered and reported on the commune coming back to the
métropole's project page; the receiver killed (SIGKILL) and restarted loses and duplicates
nothing; the same delivery sent three times creates one report; a tampered, replayed or stale
request and an unknown key are refused by the real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PG_URL, SERVER_TIMEOUT, _reset_postgres, free_port, server_environment
from factories import make_body, make_project
from sqlalchemy import func, select

from hub.audit import SYSTEM
from hub.extensions import db
from hub.notifications.models import Notification
from hub.projects import services
from hub.projects.models import Project, Relay

from .conftest import build_hub, sync

pytestmark = pytest.mark.slow


class Server:
    """A hub served by gunicorn on a fixed port (so it can be killed and started again)."""

    def __init__(self, hub):
        self.hub, self.port = hub, int(hub.url.rsplit(":", 1)[1])
        self.proc = None

    def start(self, wsgi="hub:create_app()", **extra_env):
        app = self.hub.app
        env = server_environment(
            HUB_INSTANCE_PATH=app.instance_path,
            HUB_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            HUB_SECRET_KEY=app.config["SECRET_KEY"],
            HUB_BASE_URL=self.hub.url,
            HUB_SESSION_COOKIE_SECURE="false",
            HUB_FEDERATION_RETRY_SECONDS="0",
            HUB_PAGE_CACHE_SECONDS="0",
            **extra_env,
        )
        gunicorn = Path(sys.executable).parent / "gunicorn"
        # Its output goes to a file: a pipe nobody reads blocks the server once full (the
        # tracebacks of deliveries to a killed peer fill one).
        self.log = Path(app.instance_path) / f"gunicorn-{self.port}.log"
        with open(self.log, "ab") as output:
            self.proc = subprocess.Popen(
                [
                    str(gunicorn),
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--log-level",
                    "warning",
                    wsgi,
                ],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed with its workers
            )
        deadline = time.monotonic() + SERVER_TIMEOUT
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.hub.url + "/healthz", timeout=2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text(errors="replace"))
                time.sleep(0.3)
        raise RuntimeError(
            f"gunicorn did not start in {SERVER_TIMEOUT:.0f} s:\n"
            + self.log.read_text(errors="replace")
        )

    def kill(self):
        """SIGKILL to the master and its workers at once: nothing shuts down cleanly."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def get(self, path):
        with urllib.request.urlopen(self.hub.url + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path, body, headers):
        request = urllib.request.Request(
            self.hub.url + path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code


@pytest.fixture
def servers(tmp_path, _sqlite_template, request):
    """The métropole and the commune, each served by its own gunicorn. With
    ``HUB_TEST_DATABASE_URL`` the métropole's database is PostgreSQL, the commune's SQLite."""
    databases = {}
    if PG_URL:
        _reset_postgres(request.getfixturevalue("_postgres_schema"))
        databases["metropole"] = PG_URL
    started = {}
    for role in ("metropole", "commune"):
        hub = build_hub(
            tmp_path / role,
            role,
            f"http://127.0.0.1:{free_port()}",
            _sqlite_template,
            database_url=databases.get(role),
        )
        started[role] = Server(hub)
        started[role].start()
    yield started
    for server in started.values():
        server.stop()
        with server.hub.app.app_context():
            db.session.remove()
            db.engine.dispose()


def _cli(hub, *args):
    return hub.cli(*args)


def _count(hub, model, *where):
    with hub.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_hubs_pair_publish_relay_and_report_over_http(servers):
    from hub.accounts.services import create_user
    from plugins.federation import outbox, relays
    from plugins.federation.models import Outgoing, Received, RemoteBody, RemoteRelay

    m_server, c_server = servers["metropole"], servers["commune"]
    metropole, commune = m_server.hub, c_server.hub

    # Pairing: each admin reads the other's identity and adds it; both approve.
    m_id = json.loads(m_server.get("/federation/v1/identity"))
    c_id = json.loads(c_server.get("/federation/v1/identity"))
    assert m_id["url"] == metropole.url and c_id["name"] == "Ville d'Ormeval"
    _cli(
        metropole,
        "peers",
        "add",
        commune.url,
        "--key",
        c_id["public_key"],
        "--role",
        "commune",
        "--approve",
    )
    _cli(
        commune,
        "peers",
        "add",
        metropole.url,
        "--key",
        m_id["public_key"],
        "--role",
        "metropole",
        "--approve",
    )
    sync(metropole, commune)
    assert json.loads(_cli(metropole, "peers", "list", "--json"))[0]["status"] == "active"
    assert json.loads(_cli(commune, "peers", "list", "--json"))[0]["status"] == "active"

    # A project of the métropole appears on the commune, with its origin, once.
    with commune.app.app_context():
        president = create_user(
            "pres@ormeval.example", "correct horse battery", "Présidente", confirmed=True
        )
        db.session.commit()
        president_id = president.id
    make_body(commune.app, members=[(president_id, "president")])
    with metropole.app.app_context():
        owner = create_user(
            "agent@metropole.example", "correct horse battery", "Agent", roles=("agent",)
        )
        db.session.commit()
        owner_id = owner.id
    tram = make_project(
        metropole.app,
        title="Ligne de tram T9",
        phase="strategie",
        published=True,
        owner_id=owner_id,
    )
    sync(metropole, commune, metropole)
    projects = json.loads(c_server.get("/api/v1/projects"))["projects"]
    assert [p["title"] for p in projects] == ["Ligne de tram T9"]
    assert projects[0]["origin"]["hub"] == metropole.url
    sync(commune, commune)
    assert len(json.loads(c_server.get("/api/v1/projects"))["projects"]) == 1

    # The métropole invites the commune's body; it accepts on its hub.
    with metropole.ctx():
        relay = relays.invite(
            db.session.get(Project, tram),
            db.session.scalar(select(RemoteBody)),
            date.today() + timedelta(days=30),
            "Merci de relayer le projet.",
            SYSTEM,
        )
        db.session.commit()
        relay_uuid = relay.uuid
    sync(metropole)
    with commune.ctx():
        local = db.session.scalar(select(Relay))
        assert local.uuid == relay_uuid
        user = db.session.get(type(local.body.members[0].user), president_id)
        services.respond_to_invitation(local, True, "", user)
        db.session.commit()
    sync(commune)
    assert "Accepté" in m_server.get(f"/projects/{tram}")

    # The métropole is killed (SIGKILL) in the middle of the report's delivery: it has
    # stored the report but its answer never leaves. The commune keeps the message and
    # sends it again after the restart: the report is there once, its owner told once.
    marker = Path(metropole.app.instance_path) / "inbox-answer-held"
    m_server.stop()
    m_server.start("federation.hang_app:application", HUB_TEST_HANG_MARKER=str(marker))
    with commune.ctx():
        local = db.session.scalar(select(Relay))
        services.submit_report(
            local,
            "Trois réunions ; les habitants demandent une station au marché.",
            210,
            db.session.get(type(local.body.members[0].user), president_id),
        )
        db.session.commit()
    commune.pending()
    delivery = {}

    def send():
        with commune.ctx():
            delivery.update(outbox.deliver())

    with commune.ctx():
        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text().startswith("200"), marker.read_text()
        m_server.kill()
        sender.join(timeout=30)
        assert delivery == {"delivered": 0, "failed": 1}
        [waiting] = outbox.waiting()
        assert waiting.kind == "relay.update" and "unreachable" in waiting.last_error
    assert _count(metropole, Received, Received.kind == "relay.update") == 2  # stored
    m_server.start()
    sync(commune)
    with commune.ctx():
        assert outbox.waiting() == []
    page = m_server.get(f"/projects/{tram}")
    assert "les habitants demandent une station au marché" in page
    assert "210 habitants touchés" in page
    assert _count(metropole, RemoteRelay) == 1
    assert _count(metropole, Received, Received.kind == "relay.update") == 2  # accept, report
    assert _count(metropole, Notification, Notification.kind == "relay.report") == 1

    # The same delivery sent three times: one report.
    with commune.ctx():
        message = db.session.scalar(
            select(Outgoing).where(Outgoing.kind == "relay.update").order_by(Outgoing.id.desc())
        )
        for _ in range(3):
            message.delivered_at = None
            outbox.retry(message)
            db.session.commit()
            assert outbox.deliver()["delivered"] == 1
        message_id = message.id
    assert _count(metropole, RemoteRelay) == 1
    assert _count(metropole, Received, Received.kind == "relay.update") == 2  # accept, report
    assert _count(metropole, Notification, Notification.kind == "relay.report") == 1

    # Two later states of the relay cross on the wire: the newer arrives first, the older
    # after it; the métropole keeps the newer.
    from plugins.federation.signing import sign_request

    inbox = "/federation/v1/inbox"
    with commune.ctx():
        state = dict(db.session.get(Outgoing, message_id).payload)
        later = _message(
            "relay.update", {**state, "report": "Synthèse révisée", "version": state["version"] + 2}
        )
        older = _message(
            "relay.update",
            {**state, "report": "Synthèse intermédiaire", "version": state["version"] + 1},
        )
        signed = [(b, sign_request("POST", metropole.url + inbox, b)) for b in (later, older)]
    assert [m_server.post(inbox, b, h) for b, h in signed] == [200, 200]
    page = m_server.get(f"/projects/{tram}")
    assert "Synthèse révisée" in page and "Synthèse intermédiaire" not in page

    # The métropole answers the report; the answer comes down to the commune's copy.
    with metropole.ctx():
        remote = db.session.scalar(select(RemoteRelay))
        relays.answer_report(
            remote,
            "partly_retained",
            "La station du marché est retenue, le reste du tracé ne change pas.",
            SYSTEM,
        )
        db.session.commit()
    sync(metropole)
    with commune.app.app_context():
        copy_id = db.session.scalar(select(Project.id).where(Project.origin_hub == metropole.url))
    assert "La station du marché est retenue" in c_server.get(f"/projects/{copy_id}")

    # The real server refuses what is not properly signed.
    body = json.dumps(
        {
            "id": "0e2b8a53-1111-4111-8111-111111111111",
            "type": "changed",
            "data": {"feed": "projects", "seq": 1},
        }
    ).encode()
    with commune.ctx():
        headers = sign_request("POST", metropole.url + inbox, body)
        stale = sign_request(
            "POST", metropole.url + inbox, body, created=datetime.now(UTC) - timedelta(minutes=10)
        )
    assert m_server.post(inbox, body.replace(b"projects", b"bodies!!"), headers) == 401
    assert m_server.post(inbox, body, headers) == 200
    assert m_server.post(inbox, body, headers) == 401  # replayed
    assert m_server.post(inbox, body, stale) == 401
    assert m_server.post(inbox, body, {"Content-Type": "application/json"}) == 401
    stranger = build_hub(
        Path(commune.app.instance_path).parent / "stranger",
        "commune",
        "http://127.0.0.1:9",
        _sqlite_template_of(commune),
    )
    with stranger.ctx():
        unknown = sign_request("POST", metropole.url + inbox, body)
    assert m_server.post(inbox, body, unknown) == 401


def _message(kind: str, data: dict) -> bytes:
    """A message as a hub's outbox sends it, with an id of its own."""
    return json.dumps(
        {"id": str(uuid.uuid4()), "type": kind, "data": data}, sort_keys=True
    ).encode()


def _sqlite_template_of(hub):
    return Path(hub.app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
