"""The app factory and configuration sources."""

import pytest

from hub import create_app
from hub.config import load_config


def test_factory_builds_app_with_test_config(app):
    assert app.config["TESTING"]
    assert "hub" in app.extensions


def test_importing_hub_has_no_side_effects(tmp_path, monkeypatch):
    import importlib
    import subprocess
    import sys

    code = "import hub, hub.cli, hub.hookspecs, hub.pluginmanager, hub.accounts.views"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "HUB_INSTANCE_PATH": str(tmp_path / "inst")},
    )
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "inst").exists(), "importing must not create the instance"
    importlib.import_module("hub")


def test_config_order_defaults_toml_env(tmp_path, monkeypatch):
    (tmp_path / "hub.toml").write_text('theme = "ocean"\nratelimit_login = "3 per minute"\n')
    monkeypatch.setenv("HUB_RATELIMIT_LOGIN", "7 per minute")
    monkeypatch.setenv("HUB_MAIL_PORT", "2525")
    config = load_config(tmp_path)
    assert config["THEME"] == "ocean"  # from hub.toml
    assert config["RATELIMIT_LOGIN"] == "7 per minute"  # env beats toml
    assert config["MAIL_PORT"] == 2525  # parsed as a number
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'hub.sqlite'}"


def test_instance_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("HUB_SECRET_KEY", "x")
    app = create_app()
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("elsewhere/hub.sqlite")


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    from sqlalchemy import text

    from hub.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only apply to SQLite")
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_home_page_in_french_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_config_py_in_the_instance_is_read(tmp_path):
    (tmp_path / "config.py").write_text('THEME = "ocean"\nlowercase_ignored = 1\n')
    config = load_config(tmp_path)
    assert config["THEME"] == "ocean" and "LOWERCASE_IGNORED" not in config


@pytest.mark.parametrize(
    "body, status, headers",
    [
        ("page", 200, {}),
        ("", 204, {}),
        ("", 304, {"ETag": '"a"', "Content-Type": "text/html"}),
        ("", 302, {"Location": "/é?x=1"}),
        ("page", 200, {"Content-Location": "/é"}),
        (iter([b"streamed"]), 200, {}),
        ("", 101, {}),
    ],
    ids=["page", "204", "304", "redirect", "content-location", "stream", "1xx"],
)
def test_wsgi_headers_are_werkzeugs(body, status, headers):
    """hub.deployment.HubResponse hands its own headers to the WSGI server only when
    werkzeug would have changed nothing in its copy of them."""
    from flask import Response
    from werkzeug.test import create_environ

    from hub.deployment import HubResponse

    environ = create_environ("/page")
    ours = HubResponse(body, status, headers).get_wsgi_response(environ)
    if isinstance(body, str):
        theirs = Response(body, status, headers).get_wsgi_response(environ)
    else:
        theirs = Response(iter([b"streamed"]), status, headers).get_wsgi_response(environ)
    assert (ours[1], ours[2]) == (theirs[1], theirs[2])
