"""Issue 11, item 17: nothing in the instance folder is readable by other accounts of the
server (database, secret key, configuration, email outbox, uploads), whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from conftest import PG_URL, TEST_CONFIG, csrf_from, submit

from hub import create_app
from hub.extensions import db


def loose_paths(folder: Path) -> list[str]:
    """Every path under ``folder`` (itself included) that group or others may use."""
    found = []
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(folder.parent)} {oct(mode)}")
    return found


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)  # the usual default: new files 0644, folders 0755
    yield
    os.umask(previous)


def test_hub_init_creates_a_private_instance(tmp_path):
    """``hub init`` run under the usual umask (022) creates nothing others can read. (SQLite
    here whatever the test database: the instance folder is what is checked.)"""
    instance = tmp_path / "instance"
    environ = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_ARGON2_TIME_COST": "1",
        "HUB_ARGON2_MEMORY_COST": "1024",
    }
    environ.pop("HUB_DATABASE_URL", None)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "hub"), "init"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr
    names = {p.name for p in instance.iterdir()}
    assert {"outbox", "hub.toml", "secret_key", "hub.sqlite"} <= names
    assert loose_paths(instance) == []


def test_everything_the_hub_writes_is_private(make_app, open_umask):
    """Mail to the outbox, an uploaded logo and the database are all 0600 in 0700 folders."""
    app = make_app()
    instance = Path(app.instance_path)
    client = app.test_client()
    response = submit(
        client,
        "/register",
        {
            "display_name": "Nina",
            "email": "nina@example.org",
            "password": "correct horse battery",
            "password_confirm": "correct horse battery",
            "accept_terms": "y",
        },
    )
    assert response.status_code == 200
    assert list((instance / "outbox").glob("*.eml")), "the confirmation email was not written"

    from hub.accounts.services import create_user

    with app.app_context():
        create_user("admin@example.org", "correct horse battery", "Admin", roles=("admin",))
        db.session.commit()
    submit(client, "/login", {"email": "admin@example.org", "password": "correct horse battery"})
    page = client.get("/admin/settings").get_data(as_text=True)
    from test_admin import prefilled_settings

    response = client.post(
        "/admin/settings",
        content_type="multipart/form-data",
        data={
            **prefilled_settings(client),
            "csrf_token": csrf_from(page),
            "commune_name": "Ormeval",
            "population": "1",
            "logo_file": (BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg"/>'), "logo.svg"),
        },
    )
    assert response.status_code == 302
    assert (instance / "uploads" / "logo.svg").exists()
    assert loose_paths(instance) == []
    if not PG_URL:
        database = Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :])
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{database}{suffix}")
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_an_existing_open_instance_is_narrowed_at_start_up(tmp_path):
    """An instance created before this rule (or copied with cp -r) is made private when the
    hub starts; the database file too."""
    instance = tmp_path / "instance"
    (instance / "outbox").mkdir(parents=True)
    instance.chmod(0o755)
    (instance / "outbox").chmod(0o755)
    (instance / "secret_key").write_text("k" * 40)
    (instance / "secret_key").chmod(0o644)
    (instance / "hub.toml").write_text("# empty\n")
    (instance / "hub.toml").chmod(0o644)
    database = instance / "hub.sqlite"
    database.write_bytes(b"")
    database.chmod(0o644)
    app = create_app(
        {
            **TEST_CONFIG,
            "SECRET_KEY": None,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{database}",
        }
    )
    assert app.config["SECRET_KEY"] == "k" * 40
    assert loose_paths(instance) == []
