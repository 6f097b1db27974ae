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
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text

from hub import create_app
from hub.config import DEFAULTS as HUB_DEFAULTS
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

# Every rate limit the hub declares (``RATELIMIT_<KIND>`` and ``RATELIMIT_<KIND>_IP`` in
# hub/config.py), lifted for tests: every request of a run comes from one address (127.0.0.1),
# so a per-address limit is shared by all of them, and a real server with several workers may
# hand most requests to one of them. Read from hub.config, never listed by hand: a limit added
# later is lifted too (a hand-kept list missed the login limit of the gunicorn fixture and
# eleven logins met "10 per minute"). A test of a limit passes its own.
LIFTED_LIMITS = {
    key: "1000 per minute"
    for key, value in HUB_DEFAULTS.items()
    if key.startswith("RATELIMIT_") and isinstance(value, str) and " per " in value
}

# How long a test waits for a server it started (gunicorn, `hub run`): the machine may be loaded.
SERVER_TIMEOUT = float(os.environ.get("HUB_TEST_SERVER_TIMEOUT", "180"))


def server_environment(**variables: str) -> dict:
    """The environment of a hub a test starts in another process (gunicorn, `hub run`): the
    test run's own, every rate limit lifted, cheap password hashing and the test helpers on
    ``PYTHONPATH``; then ``variables`` (``HUB_...``), which win."""
    return {
        **os.environ,
        **{f"HUB_{key}": value for key, value in LIFTED_LIMITS.items()},
        "HUB_ARGON2_TIME_COST": "1",
        "HUB_ARGON2_MEMORY_COST": "1024",
        "HUB_ARGON2_PARALLELISM": "1",
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
        **variables,
    }


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SESSION_COOKIE_SECURE": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
    "BASE_URL": "http://localhost",
    "RATELIMIT_ENABLED": True,
    **LIFTED_LIMITS,
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


def share_url_builders() -> None:
    """Build each URL rule's builder once for the whole run, not once per app.

    Every test builds its own hub (its own database and configuration), and werkzeug compiles
    a Python function for each of the ~330 URL rules of every app: five sixths of the CPU time
    of ``create_app``, about six minutes of a suite run. The compiled function depends only on
    the rule's text, its variables and the names of its defaults (it reads converters from the
    rule it is bound to), so rules equal in those share it; a rule whose default fills one of
    its own variables is compiled as before. tests/test_harness.py checks that every URL the
    hub builds is the same as with werkzeug's own compilation."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared_by_tests", False):
        return  # a werkzeug release without it: every app compiles its own, as before
    built: dict[tuple, object] = {}

    def compile_builder(self, append_unknown=True):
        defaults = self.defaults or {}
        trace = getattr(self, "_trace", None)
        if trace is None or any(is_dynamic and name in defaults for is_dynamic, name in trace):
            return original(self, append_unknown)
        key = (append_unknown, self.rule, tuple(trace), tuple(defaults))
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    compile_builder.shared_by_tests = True
    compile_builder.original = original
    Rule._compile_builder = compile_builder


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
    share_url_builders()


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
def _postgres_schema(tmp_path_factory):
    app = create_app(
        {
            **TEST_CONFIG,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("pg-template")),
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
    """Empty every table of the suite's schema and restart its identities, as a new database.

    Only the tables the last test left rows in, or whose identity it moved, are truncated: a
    TRUNCATE's cost grows with the number of tables it names (about a quarter of a second for
    all of them, before every test), and a test touches a handful. One query finds them."""
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        touched = set(
            conn.execute(
                text(
                    " UNION ALL ".join(
                        f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM \"{table}\")"
                        for table in tables
                    )
                    + " UNION ALL SELECT owner.relname FROM pg_sequences AS s"
                    " JOIN pg_class AS seq ON seq.oid ="
                    " (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass"
                    " JOIN pg_depend AS d ON d.objid = seq.oid AND d.deptype IN ('a', 'i')"
                    " JOIN pg_class AS owner ON owner.oid = d.refobjid"
                    " WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL"
                )
            ).scalars()
        )
        if touched:
            quoted = ", ".join(f'"{t}"' for t in tables if t in touched)
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


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept in memory for the whole run, shared by the apps tests build.

    Each app has its own Jinja environment and compiled every template it rendered again: a
    fifth of the suite's CPU time. Jinja keys the code by the template's name and file and
    checks it against a checksum of the source, so a theme's template, or a file a test
    rewrites, is compiled on its own; every app of the run configures Jinja the same way."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


SHARED_TEMPLATE_CODE = SharedTemplateCode()


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
        app.jinja_env.bytecode_cache = SHARED_TEMPLATE_CODE
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
def mailing_app(make_app, smtp_server):
    """An application sending its email to the real ``smtp_server`` (as ``app.smtp``)."""
    instance = make_app(mail_server="127.0.0.1", mail_port=smtp_server.port)
    instance.smtp = smtp_server
    return instance


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
    timeout = SERVER_TIMEOUT

    def launch(app, workers, env, threads):
        port = free_port()
        # Tests that log many residents in from one address, or vote or write at once from one
        # account, measure races, not limits: server_environment lifts them all.
        environ = server_environment(
            HUB_INSTANCE_PATH=app.instance_path,
            HUB_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            HUB_SECRET_KEY=app.config["SECRET_KEY"],
            HUB_SESSION_COOKIE_SECURE="false",
            **(env or {}),
        )
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
