"""The ``hub`` command line, run as a real subprocess where the instance matters."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

HUB = str(Path(sys.executable).parent / "hub")


def run_hub(instance, *args, env=None):
    environ = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_ARGON2_TIME_COST": "1",
        "HUB_ARGON2_MEMORY_COST": "1024",
        **(env or {}),
    }
    environ.pop("HUB_DATABASE_URL", None)
    return subprocess.run([HUB, *args], env=environ, capture_output=True, text=True, timeout=120)


def test_init_users_tokens_plugins(tmp_path):
    instance = tmp_path / "inst"
    result = run_hub(instance, "init")
    assert result.returncode == 0, result.stderr
    assert (instance / "hub.sqlite").exists() and (instance / "hub.toml").exists()
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0

    result = run_hub(
        instance,
        "users",
        "create",
        "agent@example.org",
        "--password",
        "a long password",
        "--role",
        "agent",
        "--verified-resident",
    )
    assert result.returncode == 0, result.stderr
    result = run_hub(instance, "users", "create", "agent@example.org", "--password", "x" * 12)
    assert result.returncode != 0 and "already" in result.stderr

    result = run_hub(instance, "tokens", "create", "agent@example.org")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("hub_")

    engine = create_engine(f"sqlite:///{instance / 'hub.sqlite'}")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT email_confirmed_at, residence_verified_at FROM user")).one()
        assert row[0] is not None and row[1] is not None
        hashes = conn.execute(text("SELECT token_hash FROM api_token")).scalars().all()
        assert token not in hashes and len(hashes) == 1
    engine.dispose()

    listing = run_hub(instance, "plugins", "list")
    assert listing.returncode == 0, listing.stderr
    unknown = run_hub(instance, "plugins", "disable", "no-such-plugin")
    assert unknown.returncode != 0


def test_init_creates_the_first_admin(tmp_path):
    instance = tmp_path / "inst"
    bare = run_hub(instance, "init")
    assert bare.returncode == 0, bare.stderr
    assert "hub init --admin EMAIL" in bare.stdout  # not a terminal: says how, asks nothing
    result = run_hub(instance, "init", "--admin", "Maire@Ormeval.example")
    assert result.returncode == 0, result.stderr
    assert "Created the administrator maire@ormeval.example" in result.stdout
    link = next(line for line in result.stdout.splitlines() if "/password/reset/" in line)
    assert link.startswith("http://127.0.0.1:5000/password/reset/")
    engine = create_engine(f"sqlite:///{instance / 'hub.sqlite'}")
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT u.email_confirmed_at, u.password_hash, r.role FROM user u "
                "JOIN user_role r ON r.user_id = u.id"
            )
        ).one()
        assert row[0] is not None and row[1] is None and row[2] == "admin"
    engine.dispose()
    # Run again (an upgrade): nothing asked, the admin exists.
    again = run_hub(instance, "init")
    assert again.returncode == 0 and "--admin" not in again.stdout
    short = run_hub(instance, "init", "--admin", "x@ormeval.example", "--password", "court")
    assert short.returncode != 0 and "10 characters" in short.stderr


def test_users_create_with_birth_date_and_neighbourhood(tmp_path):
    instance = tmp_path / "inst"
    assert run_hub(instance, "init").returncode == 0
    engine = create_engine(f"sqlite:///{instance / 'hub.sqlite'}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO commune (name, insee_code, population) VALUES ('Ormeval', '99001', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO neighbourhood (commune_id, name, slug, population) "
                "VALUES (1, 'Les Tilleuls', 'tilleuls', 0)"
            )
        )
    args = ("users", "create", "lea@ormeval.example", "--password", "a long password")
    unknown = run_hub(instance, *args, "--neighbourhood", "Bellevue")
    assert unknown.returncode != 0 and "tilleuls" in unknown.stderr
    bad_date = run_hub(instance, *args, "--birth-date", "31/12/2001")
    assert bad_date.returncode != 0
    result = run_hub(
        instance, *args, "--birth-date", "2001-12-31", "--neighbourhood", "les tilleuls"
    )
    assert result.returncode == 0, result.stderr
    with engine.connect() as conn:
        row = conn.execute(text("SELECT birth_date, neighbourhood_id FROM user")).one()
        assert str(row[0]) == "2001-12-31" and row[1] == 1
    engine.dispose()


def test_demo_loads_once(tmp_path):
    instance = tmp_path / "inst"
    first = run_hub(instance, "demo")
    assert first.returncode == 0, first.stderr
    assert "admin@ormeval.example" in first.stdout
    # Its residents are fictitious: no email is queued or written for them.
    assert not list((instance / "outbox").glob("*.eml"))
    engine = create_engine(f"sqlite:///{instance / 'hub.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox_message")).scalar() == 0
    engine.dispose()
    second = run_hub(instance, "demo")
    assert second.returncode != 0 and "already" in second.stdout
    assert run_hub(instance, "demo", "--if-empty").returncode == 0


def test_demo_of_the_metropole(tmp_path):
    instance = tmp_path / "inst"
    result = run_hub(instance, "demo", "--metropole")
    assert result.returncode == 0, result.stderr
    assert "admin@valdorne.example" in result.stdout
    assert "ormeval.example" not in result.stdout
    engine = create_engine(f"sqlite:///{instance / 'hub.sqlite'}")
    with engine.connect() as conn:
        titles = conn.execute(text("SELECT title FROM project WHERE level = 'metropolitan'"))
        assert "Ligne de tram T3 : prolongement d'Ormeval à Belcourt" in titles.scalars().all()
    engine.dispose()


def test_db_upgrade_is_idempotent(tmp_path):
    instance = tmp_path / "inst"
    assert run_hub(instance, "db", "upgrade").returncode == 0
    again = run_hub(instance, "db", "upgrade")
    assert again.returncode == 0 and "core" in again.stdout


def test_run_with_demo_serves_the_hub_on_its_port(tmp_path):
    """The README's first command ends with `hub run --demo`: it must serve the demo hub."""
    import time
    import urllib.request

    from conftest import SERVER_TIMEOUT, free_port

    port = free_port()
    environ = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(tmp_path / "inst"),
        "HUB_ARGON2_TIME_COST": "1",
        "HUB_ARGON2_MEMORY_COST": "1024",
    }
    environ.pop("HUB_DATABASE_URL", None)
    # Its output goes to a file: a pipe nobody reads blocks the server once full.
    log = tmp_path / "hub-run.log"
    with open(log, "wb") as output:
        proc = subprocess.Popen(
            [HUB, "run", "--demo", "--port", str(port)],
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            try:
                html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                assert proc.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, (
                    f"hub run did not answer in {SERVER_TIMEOUT:.0f} s:\n"
                    + log.read_text(errors="replace")
                )
                time.sleep(0.3)
        page = html.decode()
        assert '<html lang="fr">' in page and "Ormeval" in page
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# What a quick command may import: the command line itself, click and the configuration.
HEAVY = ("sqlalchemy", "flask_sqlalchemy", "flask", "jinja2", "werkzeug", "hub.extensions")

_IMPORTS_OF = """
import json, sys
from hub.cli import main
sys.argv = ["hub", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_imported_by(tmp_path, *args) -> tuple[str, set[str]]:
    environ = {**os.environ, "HUB_INSTANCE_PATH": str(tmp_path / "inst")}
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTS_OF, *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    import json

    return result.stdout, set(json.loads(result.stderr.strip().splitlines()[-1]))


def _heavy(modules: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return sorted(
        m
        for m in modules
        if m.split(".")[0] in HEAVY
        or m == "hub.extensions"
        # a plugin's package (its COMMANDS declaration) is fine, its code is not
        or (m.startswith("plugins.") and m.count(".") > 1 and not m.startswith(allowed))
    )


def test_help_imports_no_heavy_module(tmp_path):
    """`hub --help` lists every command, plugins' too, without importing Flask, SQLAlchemy,
    templates or any plugin's code (it used to build the whole app: about a second)."""
    output, modules = _modules_imported_by(tmp_path, "--help")
    assert "pb" in output and "petitions" in output and "sessions" in output
    assert not _heavy(modules), _heavy(modules)


def test_pb_compute_imports_neither_flask_nor_the_database(tmp_path):
    output, modules = _modules_imported_by(tmp_path, "pb", "compute", "--help")
    assert "Usage: hub pb compute" in output
    engine = ("plugins.participatory_budget.cli", "plugins.participatory_budget.campaign_cli")
    engine += ("plugins.participatory_budget.engine",)
    assert not _heavy(modules, engine), _heavy(modules, engine)
    assert "plugins.participatory_budget.plugin" not in modules
