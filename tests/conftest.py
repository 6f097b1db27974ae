"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
``HUB_TEST_DATABASE_URL`` is set), a real SMTP server, and helpers that post
forms the way a browser does (CSRF token taken from the page)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hub import create_app
from hub.extensions import db

TESTS_DIR = Path(__file__).resolve().parent

# Tests write session times, deadlines and birth dates with ``datetime.now()`` and
# ``date.today()``: they mean the commune's wall clock, which the hub reads in its TIMEZONE
# (tests/test_clock.py keeps the hub itself off the machine's clock). A CI machine on UTC runs
# past midnight in Paris an hour before its own midnight; the test process reads the hub's zone.
os.environ["TZ"] = "Europe/Paris"
time.tzset()
if str(TESTS_DIR) not in sys.path:  # makes tests/example_plugin importable as a plugin
    sys.path.insert(0, str(TESTS_DIR))

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL", "")
PASSWORD = "correct horse battery"

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SESSION_COOKIE_SECURE": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
    "BASE_URL": "http://localhost",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_LOGIN": "1000 per minute",
    "RATELIMIT_REGISTER": "1000 per minute",
    "RATELIMIT_RESET": "1000 per minute",
    "RATELIMIT_SIGN": "1000 per minute",
    "RATELIMIT_VOTE": "1000 per minute",
    "RATELIMIT_WRITE": "1000 per minute",
    "RATELIMIT_VOTE_IP": "1000 per minute",
    "RATELIMIT_WRITE_IP": "1000 per minute",
    "RATELIMIT_RESIDENCE": "1000 per minute",
    "RATELIMIT_REAUTH": "1000 per minute",
    "RATELIMIT_RESIDENCE_IP": "1000 per minute",
    "MAIL_SERVER": "",
    # Tests change data and look again at once; tests/test_pagecache.py turns it on.
    "PAGE_CACHE_SECONDS": 0,
}


# Variables that steer the test run itself; every other HUB_* variable configures a hub.
HARNESS_VARIABLES = {
    "HUB_SKIP_BROWSER",
    "HUB_REQUIRE_BROWSER",
    "HUB_CHROMIUM",
    "HUB_PABULIB_DIR",
    "HUB_PYTHON",
}
_ignored_environment: list[str] = []


def pytest_configure(config):
    """The hub reads every ``HUB_*`` variable as configuration (README). One exported on the
    machine (a deployment's ``HUB_MAIL_SERVER``, ``HUB_DEFAULT_LOCALE=en``...) must neither
    change what the tests see nor send their mail to a real server: tests configure the hubs
    they build, so those variables are removed for the run (subprocesses included)."""
    for key in sorted(os.environ):
        if (
            key.startswith("HUB_")
            and not key.startswith("HUB_TEST_")
            and key not in HARNESS_VARIABLES
        ):
            _ignored_environment.append(key)
            del os.environ[key]


def pytest_report_header(config):
    lines = []
    if _ignored_environment:
        lines.append(
            f"hub: ignoring {', '.join(_ignored_environment)} from the environment "
            "(tests configure their hubs themselves)"
        )
    if PG_URL:
        lines.append(f"hub: database PostgreSQL ({PG_URL.rsplit('@', 1)[-1]})")
    else:
        lines.append(
            "hub: database SQLite only (set HUB_TEST_DATABASE_URL=postgresql+psycopg://... "
            "to run the same suite on PostgreSQL)"
        )
    return lines


def pytest_terminal_summary(terminalreporter):
    if not PG_URL:
        terminalreporter.write_line(
            "hub: this run used SQLite only; CI runs the suite on PostgreSQL too."
        )


def pytest_sessionstart(session):
    """The ``.mo`` catalogues are built, not committed (docs/translations.md): without them every
    page would be in English and hundreds of tests would fail for one reason. Say it once."""
    from hub import i18n_tools

    missing = [
        po.with_suffix(".mo")
        for folder in i18n_tools.PACKAGE_FOLDERS
        for po in (i18n_tools.REPO_ROOT / folder).glob("**/translations/*/*/messages.po")
        if not po.with_suffix(".mo").exists()
    ]
    if missing:
        pytest.exit(
            f"{len(missing)} translation catalogue(s) not compiled, e.g. {missing[0]}: "
            "run `.venv/bin/hub i18n compile` (`pip install -e .` compiles them too)",
            returncode=3,
        )


def pytest_collection_modifyitems(config, items):
    """``HUB_SKIP_BROWSER=1`` skips the real-browser tests (CI runs them in their own step)."""
    if os.environ.get("HUB_SKIP_BROWSER") == "1":
        skip = pytest.mark.skip(
            reason="browser tests run in their own CI step (HUB_SKIP_BROWSER=1)"
        )
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


def database_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """An empty schema built once; each test gets a copy of the file."""
    folder = tmp_path_factory.mktemp("template")
    app = create_app(
        {
            **TEST_CONFIG,
            "INSTANCE_PATH": str(folder),
            "EXTRA_PLUGINS": {"example": "example_plugin.plugin"},
        }
    )
    with app.app_context():
        db.create_all()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        db.engine.dispose()
    return folder / "hub.sqlite"


@pytest.fixture(scope="session")
def _postgres_schema():
    app = create_app(
        {
            **TEST_CONFIG,
            "INSTANCE_PATH": "/tmp/hub-test-pg-template",
            "DATABASE_URL": PG_URL,
            "EXTRA_PLUGINS": {"example": "example_plugin.plugin"},
        }
    )
    with app.app_context():
        # The test database belongs to the suite: start from an empty schema, whatever
        # tables earlier runs (with other plugins) left behind.
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        tables = [t.name for t in db.metadata.sorted_tables]
        db.engine.dispose()
    return tables


def _reset_postgres(tables):

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        quoted = ", ".join(f'"{t}"' for t in tables)
        conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database of the suite's kind, for tests that build their own schema
    (migrations, upgrades from an older revision): a SQLite file, or a PostgreSQL schema of
    its own (dropped afterwards)."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    schema = f"emptytest_{os.getpid()}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def make_app(tmp_path, request):
    """Build an app on a fresh database; extra config as keyword arguments."""
    created = []

    def factory(**overrides):
        instance = tmp_path / f"instance{len(created)}"
        instance.mkdir()
        config = {**TEST_CONFIG, "INSTANCE_PATH": str(instance)}
        if PG_URL:
            tables = request.getfixturevalue("_postgres_schema")
            if not created:
                _reset_postgres(tables)
            config["DATABASE_URL"] = PG_URL
        else:
            template = request.getfixturevalue("_sqlite_template")
            if not created:
                shutil.copy(template, tmp_path / "hub.sqlite")
            config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'hub.sqlite'}"
        config.update({k.upper(): v for k, v in overrides.items()})
        app = create_app(config)
        created.append(app)
        return app

    yield factory
    for app in created:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- Helpers -----------------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def submit(client, page_url: str, data: dict, action: str | None = None, **kwargs):
    """GET ``page_url``, take its CSRF token, POST ``data`` to ``action`` (default: same URL)."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    payload = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
    return client.post(action or page_url, data=payload, **kwargs)


def csrf_token(client) -> str:
    """A valid CSRF token of the client's session (anonymous or logged in), for posting to
    a route whose own page the visitor may not open: a refusal then comes from the
    permission check, never from a missing token."""
    for url in ("/me", "/login"):
        page = client.get(url)
        if page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True):
            return csrf_from(page.get_data(as_text=True))
    raise AssertionError("no page with a CSRF token for this session")


def post_with_csrf(client, url: str, data: dict | None = None, **kwargs):
    """POST ``data`` to ``url`` with a valid CSRF token of the session."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def is_login_redirect(response) -> bool:
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")


@pytest.fixture
def make_user(app):
    """Create a user directly (roles, confirmed email, verified residence)."""
    from hub.accounts.services import create_user

    counter = {"n": 0}

    def factory(
        email=None,
        *,
        roles=(),
        confirmed=True,
        verified=False,
        name=None,
        password=PASSWORD,
        **fields,
    ):
        counter["n"] += 1
        email = email or f"user{counter['n']}@example.org"
        with app.app_context():
            user = create_user(
                email,
                password,
                name or email.split("@")[0],
                roles=roles,
                confirmed=confirmed,
                verified_resident=verified,
            )
            for key, value in fields.items():
                setattr(user, key, value)
            db.session.commit()
            return user.id

    return factory


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        response = submit(self.client, "/login", {"email": email, "password": password})
        assert response.status_code == 302, "login failed"
        return response

    def logout(self):
        page = self.client.get("/me")
        return self.client.post("/logout", data={"csrf_token": csrf_from(page.get_data(True))})


@pytest.fixture
def auth(client):
    return AuthActions(client)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port; ``.messages`` holds what it received."""
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    class Collector:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def outbox_messages(app) -> list:
    """Messages written to ``instance/outbox`` (the default when no SMTP server is set)."""
    from email import message_from_bytes

    folder = Path(app.instance_path) / "outbox"
    if not folder.is_dir():
        return []
    return [message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def mail_body(message) -> str:
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


def link_in(message, path_fragment: str) -> str:
    match = re.search(r"https?://\S*" + re.escape(path_fragment) + r"\S*", mail_body(message))
    assert match, f"no link containing {path_fragment} in the message"
    return match.group(0)


@pytest.fixture
def gunicorn_server(tmp_path):
    """Start the real app under gunicorn (several worker processes) on a free port.

    ``start(app, workers=2, env={...}, threads=1)`` serves the database ``app`` uses; returns the base URL.
    Start-up may be slow on a loaded machine: it waits up to ``HUB_TEST_SERVER_TIMEOUT`` seconds
    (180 by default) and tries another port when the chosen one was taken meanwhile. The
    server's output goes to a file (a pipe nobody reads would block it once full) and is shown
    when it does not start.
    """
    import subprocess
    import time
    import urllib.request

    processes = []
    timeout = float(os.environ.get("HUB_TEST_SERVER_TIMEOUT", "180"))

    def launch(app, workers, env, threads):
        port = free_port()
        environ = {
            **os.environ,
            "HUB_INSTANCE_PATH": app.instance_path,
            "HUB_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "HUB_SECRET_KEY": app.config["SECRET_KEY"],
            "HUB_SESSION_COOKIE_SECURE": "false",
            "HUB_ARGON2_TIME_COST": "1",
            "HUB_ARGON2_MEMORY_COST": "1024",
            "HUB_ARGON2_PARALLELISM": "1",
            # Tests that vote or write at once from one account measure races, not limits.
            "HUB_RATELIMIT_VOTE": "1000 per minute",
            "HUB_RATELIMIT_WRITE": "1000 per minute",
            "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
            **(env or {}),
        }
        log = tmp_path / f"gunicorn-{port}.log"
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with open(log, "wb") as output:
            proc = subprocess.Popen(
                [
                    str(gunicorn),
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--threads",
                    str(threads),
                    "--timeout",
                    "120",
                    "--log-level",
                    "warning",
                    "hub:create_app()",
                ],
                env=environ,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5)
                return base, None
            except OSError:
                if proc.poll() is not None:
                    return None, log.read_text(errors="replace")
                time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not start in {timeout:.0f} s:\n" + log.read_text(errors="replace")
        )

    def start(app, workers=2, env=None, threads=1):
        for _attempt in range(3):
            base, output = launch(app, workers, env, threads)
            if base is not None:
                return base
            if "Address already in use" not in output:
                break
        raise RuntimeError(output)

    start.processes = processes  # the gunicorn masters (tests that kill workers find them here)
    yield start
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _bound_factory(name):
    import factories

    @pytest.fixture(name=name)
    def fixture(app):
        function = getattr(factories, name)

        def bound(*args, **kwargs):
            return function(app, *args, **kwargs)

        bound.__doc__ = function.__doc__
        return bound

    return fixture


# Factory fixtures bound to the test's app: ``def test_x(make_project): make_project(...)``.
make_territory = _bound_factory("make_territory")
make_body = _bound_factory("make_body")
make_project = _bound_factory("make_project")
make_relay = _bound_factory("make_relay")
add_contribution = _bound_factory("add_contribution")
make_session = _bound_factory("make_session")
