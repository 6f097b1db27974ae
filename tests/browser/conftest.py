"""Real-browser harness: Debian's Chromium driven by Playwright against the real app.

One WSGI server (werkzeug, threaded) serves a temporary instance migrated with
``hub.migrating.upgrade`` and loaded with the demo content, on a free localhost
port, for the whole session; one Chromium is launched for the whole session and
each test gets fresh browser contexts (cookies, storage) of its own.

Nothing downloads a browser: Playwright launches ``/usr/bin/chromium`` (or the
``chromium`` on PATH, or ``HUB_CHROMIUM``). Without it every browser test is
skipped with one message. On failure, a screenshot and the HTML of every open
page are saved under ``test-artifacts/<test>/``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path

import pytest
from conftest import LIFTED_LIMITS

from hub import create_app
from hub.extensions import db

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DEMO_PASSWORD = "demo-password"
# How long a page, a click or an expectation may take before a browser test fails. The machine
# running the suite may be loaded (CI shares its cores): a login took over 10 s there while
# axe and gunicorn ran beside it. Waiting longer only slows a test that fails anyway.
BROWSER_TIMEOUT = float(os.environ.get("HUB_TEST_BROWSER_TIMEOUT", "60"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def find_chromium() -> str | None:
    for candidate in (
        os.environ.get("HUB_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _missing_reason() -> str | None:
    if find_chromium() is None:
        return (
            "browser tests skipped: Chromium not found (install Debian's package: "
            "apt-get install chromium; or set HUB_CHROMIUM to its path)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is missing (pip install -e '.[test]')"
    return None


def pytest_report_header(config):
    reason = _missing_reason()
    if reason:
        return f"browser: {reason}"
    chromium = find_chromium()
    try:
        version = subprocess.run(
            [chromium, "--version"], check=False, capture_output=True, text=True, timeout=20
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "version unknown"
    return f"browser: {chromium} ({version})"


def pytest_collection_modifyitems(config, items):
    """Mark everything here ``browser``; skip browser tests (one reason) when they cannot run.

    ``HUB_SKIP_BROWSER=1`` skips them on purpose (CI runs them in a step of their own);
    ``HUB_REQUIRE_BROWSER=1`` turns a missing Chromium into an error instead of a skip.
    """
    here = Path(__file__).parent
    reason = _missing_reason()
    if os.environ.get("HUB_SKIP_BROWSER") == "1":
        reason = "browser tests run in their own CI step (HUB_SKIP_BROWSER=1)"
    elif reason and os.environ.get("HUB_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"HUB_REQUIRE_BROWSER=1 but {reason}")
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
        if reason and item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


_durations: dict[str, float] = {}


def pytest_runtest_logreport(report):
    if report.when == "call" and ("/browser/" in report.nodeid or "/security/" in report.nodeid):
        _durations[report.nodeid] = report.duration


_LOADED_AT = time.monotonic()  # a sub-folder conftest loads after pytest_sessionstart has run


def pytest_terminal_summary(terminalreporter, config):
    for visitor, pages in getattr(config, "hub_axe_pages", {}).items():
        terminalreporter.write_line(
            f"hub: axe-core checked {len(pages)} pages as {visitor}: " + " ".join(pages)
        )
    for visitor, links in getattr(config, "hub_refused_links", {}).items():
        terminalreporter.write_line(
            f"hub: links shown to {visitor} that answer with a refusal: {' '.join(links)}"
        )
    if _durations:
        total = sum(_durations.values())
        terminalreporter.write_line(
            f"hub: browser + security suites: {len(_durations)} tests, {total:.1f} s in test "
            f"bodies; {time.monotonic() - _LOADED_AT:.1f} s since the suites were collected"
        )


# --- The server under test ---------------------------------------------------------------------


class LiveServer:
    """The hub in a real WSGI server on a free localhost port."""

    def __init__(self, app, host: str, port: int):
        self.app = app
        self.url = f"http://{host}:{port}"
        self.errors: list[BaseException] = []

    @property
    def outbox(self) -> Path:
        return Path(self.app.instance_path) / "outbox"

    def messages(self, to: str | None = None) -> list:
        """Emails written to ``instance/outbox`` (oldest first), optionally for one recipient."""
        if not self.outbox.is_dir():
            return []
        found = [message_from_bytes(p.read_bytes()) for p in sorted(self.outbox.glob("*.eml"))]
        return [m for m in found if to is None or m["To"] == to]

    def link_in_last_message(self, to: str, fragment: str, timeout: float = BROWSER_TIMEOUT) -> str:
        """The first link containing ``fragment`` in the newest email sent to ``to``."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages(to)
            if messages:
                body = messages[-1].get_payload(decode=True).decode("utf-8")
                match = re.search(r"https?://\S*" + re.escape(fragment) + r"\S*", body)
                assert match, f"no link containing {fragment!r} in the email to {to}"
                return match.group(0)
            if time.monotonic() > deadline:
                raise AssertionError(f"no email to {to} in {self.outbox}")
            time.sleep(0.05)

    def has_endpoint(self, endpoint: str) -> bool:
        return endpoint in self.app.view_functions

    def require(self, endpoint: str) -> None:
        """Skip a journey whose feature this hub does not serve; with
        ``HUB_REQUIRE_BROWSER=1`` (CI) that is a failure, never a silent skip."""
        if self.has_endpoint(endpoint):
            return
        reason = f"the demo hub does not serve {endpoint!r}"
        if os.environ.get("HUB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HUB_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)

    def create_user(
        self,
        email: str,
        *,
        roles=(),
        confirmed=True,
        verified=False,
        name: str | None = None,
        password: str = DEMO_PASSWORD,
        **fields,
    ) -> int:
        """An account made directly in the database (``fields``: birth_date=...)."""
        from hub.accounts.services import create_user

        with self.app.app_context():
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
            user_id = user.id
            db.session.remove()
            return user_id


def _app_on(instance: Path, host: str, port: int):
    """The hub configured for browser tests on ``instance`` (its SQLite file lives there)."""
    return create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "browser-tests-secret",
            "SESSION_COOKIE_SECURE": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "ARGON2_PARALLELISM": 1,
            "BASE_URL": f"http://{host}:{port}",
            "MAIL_SERVER": "",
            # Every limit the hub declares: the whole browser run comes from 127.0.0.1.
            **LIFTED_LIMITS,
            "DATABASE_URL": f"sqlite:///{instance / 'hub.sqlite'}",
            # Journeys change data and look again at once, sometimes as an anonymous visitor.
            "PAGE_CACHE_SECONDS": 0,
        }
    )


@contextmanager
def _serving(app, host: str, port: int):
    """``app`` served by a threaded werkzeug server until the block ends."""
    from flask import got_request_exception
    from werkzeug.serving import make_server

    server = LiveServer(app, host, port)

    def record(sender, exception, **extra):
        server.errors.append(exception)

    got_request_exception.connect(record, app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    httpd = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="hub-live-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        thread.join(10)
        got_request_exception.disconnect(record, app)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    """An instance folder migrated and loaded with the demo, never served: each server copies it."""
    from conftest import free_port

    from hub import migrating
    from hub.demo import load_demo

    template = tmp_path_factory.mktemp("demo-template")
    app = _app_on(template, "127.0.0.1", free_port())
    migrating.upgrade(app)
    with app.app_context():
        load_demo(app)
        db.session.remove()
        db.engine.dispose()  # the last connection checkpoints the WAL into hub.sqlite
    return template


def _copy_of(template: Path, tmp_path_factory, name: str) -> Path:
    instance = tmp_path_factory.mktemp(name)
    shutil.copytree(template, instance, dirs_exist_ok=True)
    return instance


@pytest.fixture(scope="session")
def live_server(_demo_template, tmp_path_factory):
    """The demo hub shared by the whole session (journeys add their own data to it)."""
    from conftest import free_port

    host, port = "127.0.0.1", free_port()
    instance = _copy_of(_demo_template, tmp_path_factory, "live-instance")
    with _serving(_app_on(instance, host, port), host, port) as server:
        yield server


@pytest.fixture
def fresh_server(_demo_template, tmp_path_factory):
    """A hub of its own for one test, on a fresh copy of the demo: for a test whose assertions
    count what the demo holds (overdue items, totals), so that no other test's side effects
    (nor another parametrised variant of itself) change what it sees. Open contexts on it with
    ``new_context(base_url=fresh_server.url)`` or ``logged_in(email, base_url=...)``."""
    from conftest import free_port

    host, port = "127.0.0.1", free_port()
    instance = _copy_of(_demo_template, tmp_path_factory, "fresh-instance")
    with _serving(_app_on(instance, host, port), host, port) as server:
        yield server
        assert not server.errors, f"the server raised while serving this test: {server.errors!r}"


@pytest.fixture(autouse=True)
def _no_server_errors(request):
    """A browser test fails if the server raised while serving it."""
    if "live_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("live_server")
    before = len(server.errors)
    yield
    new = server.errors[before:]
    assert not new, f"the server raised while serving this test: {new!r}"


# --- The browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT * 1000)  # expect()'s own default is 5 s
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=find_chromium(), headless=True, args=CHROMIUM_FLAGS
    )
    yield browser
    browser.close()


class PageMonitor:
    """What a page did that a test may object to: dialogs, console errors, script errors."""

    def __init__(self):
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.failed_loads: list[str] = []

    def attach(self, page) -> None:
        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message} on {page.url}")
            dialog.dismiss()

        def on_console(msg):
            # Failed loads are reported with their address by on_response instead.
            if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
                self.console_errors.append(f"{msg.text} on {page.url}")

        def on_response(response):
            if response.status >= 400 and not response.url.endswith("/favicon.ico"):
                self.failed_loads.append(f"{response.status} {response.url}")

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(f"{exc} on {page.url}"))
        page.on("response", on_response)

    @property
    def problems(self) -> list[str]:
        return self.dialogs + self.console_errors + self.page_errors + self.failed_loads


@pytest.fixture
def new_context(browser, live_server, request):
    """Factory of fresh browser contexts on the server under test (French by default).

    Each page opened in them is watched (``context.monitor``); at the end of a failed test,
    every open page is saved as a screenshot and HTML under ``test-artifacts/``.
    """
    contexts = []

    def factory(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "fr-FR")
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(BROWSER_TIMEOUT * 1000)
        context.monitor = PageMonitor()
        context.on("page", context.monitor.attach)
        contexts.append(context)
        return context

    yield factory
    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    for number, context in enumerate(contexts):
        if failed:
            _save_artifacts(request.node.nodeid, number, context)
        context.close()


def _save_artifacts(nodeid: str, number: int, context) -> None:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    for index, page in enumerate(context.pages):
        stem = folder / f"context{number}-page{index}"
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            stem.with_suffix(".html").write_text(
                f"<!-- {page.url} -->\n" + page.content(), encoding="utf-8"
            )
        except Exception as exc:
            stem.with_suffix(".txt").write_text(f"could not save {page.url}: {exc}\n")


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


def _login(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/me$"))


@pytest.fixture
def login():
    """``login(page, email, password="demo-password")``: the real login form, then the dashboard."""
    return _login


@pytest.fixture
def logged_in(new_context):
    """``logged_in(email, **context_options)``: a fresh browser context with that user logged in."""

    def factory(email: str, password: str = DEMO_PASSWORD, **options):
        context = new_context(**options)
        page = context.new_page()
        _login(page, email, password)
        page.close()
        return context

    return factory
