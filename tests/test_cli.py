"""The ``hub`` command line, run as a real subprocess where the instance matters."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

HUB = str(Path(sys.executable).parent / "hub")


def run_hub(instance, *args, env=None):
    environ = {**os.environ, "HUB_INSTANCE_PATH": str(instance), "HUB_ARGON2_TIME_COST": "1",
               "HUB_ARGON2_MEMORY_COST": "1024", **(env or {})}
    environ.pop("HUB_DATABASE_URL", None)
    return subprocess.run([HUB, *args], env=environ, capture_output=True, text=True, timeout=120)


def test_init_users_tokens_plugins(tmp_path):
    instance = tmp_path / "inst"
    result = run_hub(instance, "init")
    assert result.returncode == 0, result.stderr
    assert (instance / "hub.sqlite").exists() and (instance / "hub.toml").exists()
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0

    result = run_hub(instance, "users", "create", "agent@example.org", "--password",
                     "a long password", "--role", "agent", "--verified-resident")
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


def test_demo_loads_once(tmp_path):
    instance = tmp_path / "inst"
    first = run_hub(instance, "demo")
    assert first.returncode == 0, first.stderr
    assert "admin@ormeval.example" in first.stdout
    second = run_hub(instance, "demo")
    assert second.returncode != 0 and "already" in second.stdout
    assert run_hub(instance, "demo", "--if-empty").returncode == 0


def test_db_upgrade_is_idempotent(tmp_path):
    instance = tmp_path / "inst"
    assert run_hub(instance, "db", "upgrade").returncode == 0
    again = run_hub(instance, "db", "upgrade")
    assert again.returncode == 0 and "core" in again.stdout


def test_run_with_demo_serves_the_hub_on_its_port(tmp_path):
    """The README's first command ends with `hub run --demo`: it must serve the demo hub."""
    import time
    import urllib.request

    from conftest import free_port

    port = free_port()
    environ = {**os.environ, "HUB_INSTANCE_PATH": str(tmp_path / "inst"),
               "HUB_ARGON2_TIME_COST": "1", "HUB_ARGON2_MEMORY_COST": "1024"}
    environ.pop("HUB_DATABASE_URL", None)
    proc = subprocess.Popen([HUB, "run", "--demo", "--port", str(port)], env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "hub run did not answer in 90 s"
                time.sleep(0.3)
        page = html.decode()
        assert '<html lang="fr">' in page and "Ormeval" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
