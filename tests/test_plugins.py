"""Plugins: discovery, the allow-list, run-time switching across worker processes."""

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import TESTS_DIR, submit

from hub.extensions import db
from hub.pluginmanager import discover, set_plugin_enabled


def test_bundled_plugins_are_discovered_without_import():
    found = discover()
    for name, info in found.items():
        if info.source == "bundled":
            assert info.module_path == f"plugins.{name}.plugin"
            assert not info.loaded


def test_blocked_plugin_is_never_imported(make_app):
    make_app()  # database ready first (the schema template imports every test plugin)
    sys.modules.pop("example_plugin.plugin", None)
    app = make_app(extra_plugins={"example": "example_plugin.plugin"}, plugins_allowed=[])
    assert "example_plugin.plugin" not in sys.modules
    assert app.extensions["hub"].plugins.get("example") is None
    assert app.test_client().get("/example/").status_code == 404


def test_allowed_plugin_is_loaded(make_app):
    app = make_app(extra_plugins={"example": "example_plugin.plugin"}, plugins_allowed=["example"])
    assert app.extensions["hub"].plugins.is_enabled("example")


def test_disabling_hides_routes_menu_and_slots_but_keeps_data(make_app):
    app = make_app(extra_plugins={"example": "example_plugin.plugin"})
    client = app.test_client()
    assert client.get("/example/").status_code == 200
    with app.app_context():
        from example_plugin.models import ExampleNote

        db.session.add(ExampleNote(text="kept"))
        set_plugin_enabled("example", False)
        db.session.commit()
    assert client.get("/example/").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert 'href="/example/"' not in home and "example-slot" not in home
    assert "/api/v1/example" not in client.get("/api/v1/openapi.json").json["paths"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ExampleNote.id))) == 1
        set_plugin_enabled("example", True)
        db.session.commit()
    assert client.get("/example/").status_code == 200


def test_admin_page_switches_plugins(make_app, make_user):
    from conftest import AuthActions

    app = make_app(extra_plugins={"example": "example_plugin.plugin"})
    make_user("admin@example.org", roles=("admin",))
    client = app.test_client()
    AuthActions(client).login("admin@example.org")
    response = submit(client, "/admin/plugins", {}, action="/admin/plugins/example/disable")
    assert response.status_code == 302
    assert client.get("/example/").status_code == 404
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "example" in page
    from hub.audit import AuditEntry

    with app.app_context():
        assert (
            db.session.scalar(db.select(AuditEntry.action).where(AuditEntry.object_id == "example"))
            == "admin.plugin_disabled"
        )


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_cli_disable_takes_effect_at_once_in_every_worker(make_app, gunicorn_server):
    app = make_app(extra_plugins={"example": "example_plugin.plugin"})
    env = {"HUB_EXTRA_PLUGINS": '{ example = "example_plugin.plugin" }'}
    base = gunicorn_server(app, workers=3, env=env)
    assert {_status(base + "/example/") for _ in range(12)} == {200}

    hub = Path(sys.executable).parent / "hub"
    cli_env = {
        **__import__("os").environ,
        "HUB_INSTANCE_PATH": app.instance_path,
        "HUB_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HUB_SECRET_KEY": "x",
        "PYTHONPATH": str(TESTS_DIR),
        **env,
    }
    out = subprocess.run(
        [str(hub), "plugins", "disable", "example"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    # Each of the 12 requests lands on one of the 3 workers: none may still serve the page.
    assert {_status(base + "/example/") for _ in range(12)} == {404}
    home = urllib.request.urlopen(base + "/").read().decode()
    assert 'href="/example/"' not in home

    out = subprocess.run(
        [str(hub), "plugins", "enable", "example"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert {_status(base + "/example/") for _ in range(12)} == {200}


def test_plugins_are_found_through_the_entry_point_group(tmp_path, monkeypatch):
    dist = tmp_path / "hub_fake_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hub-fake-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hub.plugins]\nfake = example_plugin.plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    info = discover()["fake"]
    assert info.source == "entry point" and info.module_path == "example_plugin.plugin"


def test_misspelt_hook_fails_at_start(make_app, tmp_path, monkeypatch):
    (tmp_path / "bad_plugin.py").write_text(
        "from hub.hookspecs import hookimpl\n\n@hookimpl\ndef hub_register_blueprint(app):\n"
        "    return []\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from pluggy import PluginValidationError

    with pytest.raises(PluginValidationError):
        make_app(extra_plugins={"bad": "bad_plugin"})


def test_every_bundled_plugin_is_named_in_the_reader_s_language(app):
    """The admin's plugin list shows each plugin's translatable ``TITLE``: never the first
    line of a developer's docstring, in English whatever the language."""
    from flask_babel import force_locale

    bundled = [i for i in app.extensions["hub"].plugins.loaded if i.source == "bundled"]
    assert len(bundled) >= 6
    with app.test_request_context():
        for info in bundled:
            assert getattr(info.module, "TITLE", None), f"{info.name}: no TITLE in plugin.py"
            with force_locale("fr"):
                french = info.title
            with force_locale("en"):
                english = info.title
            assert french != english, f"{info.name}: its title is not translated ({french})"
