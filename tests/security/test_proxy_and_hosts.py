"""Issue 11, items 4 and 5: the hub behind its reverse proxy.

- Item 4: with ``TRUSTED_PROXIES`` the client address comes from the proxy's
  ``X-Forwarded-For`` (one client's failed logins no longer lock everyone out, and a client
  cannot pick its own address); without it the header is ignored. Several workers without
  ``REDIS_URL`` are warned about at start-up.
- Item 5: absolute URLs come from ``BASE_URL``; hosts other than the trusted ones are refused;
  no request header can change the page the cache serves to others. ``hub run`` sets
  ``BASE_URL`` from its own address; a production start-up without it warns.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import SERVER_TIMEOUT, TESTS_DIR, csrf_from, free_port

from hub.deployment import base_url_for, trusted_hosts

pytestmark = pytest.mark.security

PUBLIC = "https://participation.example.org"
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "")


# --- Item 4: the client address ------------------------------------------------------------


class Browser:
    """A cookie-keeping HTTP client that sends what nginx would add to each request."""

    def __init__(self, base: str, forwarded_for: str | None):
        self.base, self.forwarded_for = base, forwarded_for
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, path: str, data: bytes | None = None) -> tuple[int, str]:
        headers = {"X-Forwarded-For": self.forwarded_for} if self.forwarded_for else {}
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def failed_login(self) -> int:
        from urllib.parse import urlencode

        _status, page = self.open("/login")
        form = {"csrf_token": csrf_from(page), "email": "amel@example.org", "password": "wrong"}
        return self.open("/login", urlencode(form).encode())[0]


def test_rate_limits_follow_the_client_behind_the_proxy_through_gunicorn(
    make_app, make_user, gunicorn_server
):
    """Two workers sharing Redis (one when no test Redis is configured), a login limit of 3:
    the client who fails is limited, another client behind the same proxy is not, and the
    first cannot escape by writing its own X-Forwarded-For (nginx appends the real one)."""
    app = make_app()
    make_user("amel@example.org")
    env = {"HUB_TRUSTED_PROXIES": "1", "HUB_RATELIMIT_LOGIN": "3 per minute"}
    workers = 1
    if REDIS_URL:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        env["HUB_REDIS_URL"], workers = REDIS_URL, 2
    base = gunicorn_server(app, workers=workers, env=env)

    mallory = Browser(base, "198.51.100.7")
    assert [mallory.failed_login() for _ in range(3)] == [200, 200, 200]
    assert mallory.failed_login() == 429
    spoofing = Browser(base, "203.0.113.99, 198.51.100.7")  # what nginx sends on
    assert spoofing.failed_login() == 429
    neighbour = Browser(base, "198.51.100.8")
    assert neighbour.failed_login() == 200
    status, page = Browser(base, "198.51.100.8").open("/login")
    assert status == 200 and "Trop de tentatives" not in page


def test_without_trusted_proxies_the_header_is_ignored(make_app, make_user):
    """The default (no proxy declared): X-Forwarded-For cannot buy a fresh limit."""
    app = make_app(ratelimit_login="2 per minute")
    make_user("amel@example.org")

    def attempt(forwarded_for):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        return client.post(
            "/login",
            data={"csrf_token": token, "email": "amel@example.org", "password": "wrong"},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code

    assert [attempt(f"198.51.100.{n}") for n in (1, 2, 3)] == [200, 200, 429]


def test_signature_ip_is_the_client_behind_the_proxy(make_app, make_user):
    app = make_app(trusted_proxies=1)
    from hub.db import write_transaction
    from hub.extensions import db
    from hub.signatures import services
    from hub.signatures.models import Signature

    with app.app_context():
        with write_transaction():
            collection = services.create_collection("thing", 1, title="Le chêne", url="/")
            services.open_collection(collection)
        cid = collection.id
    user_id = make_user("amel@example.org")
    seen = {}

    @app.route("/_probe_ip")
    def probe():
        from flask import request

        from hub.accounts.models import User

        services.sign(cid, db.session.get(User, user_id), ip=request.remote_addr)
        return "ok"

    client = app.test_client()
    response = client.get(
        "/_probe_ip",
        headers={"X-Forwarded-For": "203.0.113.99, 198.51.100.7"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 200
    with app.app_context():
        seen["ip"] = db.session.scalar(
            db.select(Signature.ip).where(Signature.collection_id == cid)
        )
    assert seen["ip"] == "198.51.100.7"


def start_gunicorn(app, workers: int | None, env: dict, args=()) -> tuple[int, str]:
    """Start gunicorn, wait until it answers, stop it: its exit and everything it printed.
    ``workers`` None: no ``--workers`` on the command line (set by ``args`` or ``env``)."""
    port = free_port()
    environ = {
        **os.environ,
        "HUB_INSTANCE_PATH": app.instance_path,
        "HUB_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HUB_SECRET_KEY": "test-secret-key",
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
        **env,
    }
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            *(["--workers", str(workers)] if workers is not None else []),
            *args,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "hub:create_app()",
        ],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    return proc.returncode, output


def test_several_workers_without_redis_are_warned_about(make_app):
    app = make_app()
    _code, output = start_gunicorn(app, 2, {"HUB_BASE_URL": PUBLIC})
    assert "2 workers run without REDIS_URL" in output, output
    assert "BASE_URL is not set" not in output
    _code, output = start_gunicorn(app, 1, {})
    assert "REDIS_URL" not in output, output
    assert "BASE_URL is not set" in output  # production start-up without a public address


@pytest.mark.parametrize("way", ["config file", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "preload"])
def test_the_worker_count_is_seen_however_it_is_set(make_app, tmp_path, way):
    """The count comes from gunicorn's own configuration, so a number set only in a
    configuration file or the environment is seen too (issue 11 item 4)."""
    app = make_app()
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("workers = 3\n")
    env, args = {"HUB_BASE_URL": PUBLIC}, []
    if way == "config file":
        args = ["--config", str(config)]
    elif way == "GUNICORN_CMD_ARGS":
        env["GUNICORN_CMD_ARGS"] = "--workers=3"
    elif way == "WEB_CONCURRENCY":
        env["WEB_CONCURRENCY"] = "3"
    else:
        args = ["--config", str(config), "--preload"]
    _code, output = start_gunicorn(app, None, env, args)
    assert "3 workers run without REDIS_URL" in output, output
    if way == "config file":
        env["HUB_REDIS_URL"] = "redis://127.0.0.1:1/0"
        _code, output = start_gunicorn(app, None, env, args)
        assert "REDIS_URL" not in output, output


# --- Item 5: hosts, absolute URLs and the cache ----------------------------------------------


def test_unknown_hosts_are_refused_with_a_message(make_app):
    app = make_app(base_url=PUBLIC)
    client = app.test_client()
    for path in ("/", "/login", "/api/v1/projects", "/no-such-page"):
        response = client.get(path, headers={"Host": "evil.example"})
        body = response.get_data(as_text=True)
        assert response.status_code == 400, path
        assert "evil.example" not in body
        assert "Ce site ne répond pas à cette adresse" in body, body
        assert PUBLIC in body
    for host in ("participation.example.org", "localhost", "127.0.0.1:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def test_trusted_hosts_can_be_listed(make_app):
    app = make_app(base_url=PUBLIC, trusted_hosts=["participation.example.org", ".ormeval.fr"])
    client = app.test_client()
    assert client.get("/", headers={"Host": "www.ormeval.fr"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400


def test_trusted_hosts_default():
    assert trusted_hosts({"BASE_URL": PUBLIC}) == [
        "participation.example.org",
        "localhost",
        "127.0.0.1",
        "::1",
    ]
    assert trusted_hosts({"BASE_URL": ""}) is None
    assert trusted_hosts({"BASE_URL": PUBLIC, "TRUSTED_HOSTS": "a.example"}) == ["a.example"]
    assert base_url_for("127.0.0.1", 5000) == "http://127.0.0.1:5000"
    assert base_url_for("::1", 8080) == "http://[::1]:8080"


HOSTILE_HEADERS = {
    "Host": "localhost",  # trusted (health checks) but not the public address
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "gopher",
    "X-Forwarded-Server": "evil.example",
    "X-Forwarded-Port": "6666",
    "X-Forwarded-Prefix": "/evil",
    "Forwarded": "for=1.2.3.4;host=evil.example;proto=gopher",
    "X-Host": "evil.example",
    "X-Original-URL": "/evil",
    "X-Rewrite-URL": "/evil",
}
# How each header would show if it steered a URL: as text that cannot occur by chance in the
# data (a bare "6666" can: an identifier or a timestamp's microseconds on PostgreSQL).
TRACES = ("evil", "gopher", ":6666", "http://localhost")


def public_get_pages(app) -> list[str]:
    """Every GET route without arguments (pages, API lists, open data, feeds)."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/static"):
            pages.append(rule.rule)
    return sorted(pages)


@pytest.mark.parametrize("proxies", [0, 1])
def test_no_header_steers_urls_or_the_cache(make_app, make_project, make_body, proxies):
    """Every page reachable without arguments, first asked with hostile headers, then by an
    ordinary visitor: neither answer carries a trace of the headers, and every absolute URL
    starts with BASE_URL."""
    app = make_app(base_url=PUBLIC, page_cache_seconds=30, trusted_proxies=proxies)
    make_project(title="Ligne de tram", published=True)
    make_body(name="Conseil de quartier")
    pages = public_get_pages(app)
    assert len(pages) > 20
    poisoned = []
    for path in pages:
        hostile = app.test_client().get(path, headers=HOSTILE_HEADERS)
        clean = app.test_client().get(path, base_url=PUBLIC)
        for label, response in (("hostile", hostile), ("clean", clean)):
            assert response.status_code < 500, (path, label)
            body = response.get_data(as_text=True)
            location = response.headers.get("Location", "")
            for trace in TRACES:
                if trace in body or trace in location:
                    poisoned.append(f"{label} {path}: {trace}")
            for url in re.findall(r"https?://[^\s\"'<>]+", body):
                if "example.org" in url and not url.startswith(PUBLIC):
                    poisoned.append(f"{label} {path}: {url}")
    assert not poisoned, "\n".join(poisoned)


def test_hub_run_sets_base_url_from_its_address(tmp_path):
    port = free_port()
    environ = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_ARGON2_TIME_COST": "1",
        "HUB_ARGON2_MEMORY_COST": "1024",
    }
    environ.pop("HUB_DATABASE_URL", None)
    environ.pop("HUB_BASE_URL", None)
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "hub"), "run", "--port", str(port)],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.3)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"Host": "evil.example"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
        assert f"http://127.0.0.1:{port}" in refused.value.read().decode()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert f"Participation hub on http://127.0.0.1:{port}/" in output
    assert "BASE_URL is not set" not in output
