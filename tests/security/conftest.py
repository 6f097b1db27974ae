"""Fixtures of the security suite: the demo hub (Ormeval) on the test database."""

from __future__ import annotations

import shutil

import pytest
from conftest import PG_URL, TEST_CONFIG, _reset_postgres

from hub import create_app
from hub.extensions import db


def pytest_configure(config):
    config.addinivalue_line("markers", "security: security suite (tests/security)")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory, request):
    """The demo content plus the objects of every ``@world_setup`` (tests/authz_rules.py).

    Module-scoped: built once per test file, on SQLite (a copy of the empty schema) or on
    PostgreSQL when ``HUB_TEST_DATABASE_URL`` is set.
    """
    from authz_rules import WORLD_SETUP, World

    from hub.demo import load_demo

    folder = tmp_path_factory.mktemp("demo-hub")
    config = {**TEST_CONFIG, "INSTANCE_PATH": str(folder)}
    if PG_URL:
        _reset_postgres(request.getfixturevalue("_postgres_schema"))
        config["DATABASE_URL"] = PG_URL
    else:
        shutil.copy(request.getfixturevalue("_sqlite_template"), folder / "hub.sqlite")
        config["DATABASE_URL"] = f"sqlite:///{folder / 'hub.sqlite'}"
    app = create_app(config)
    world = World(app)
    with app.app_context():
        load_demo(app)
        for setup in WORLD_SETUP:
            setup(world)
            db.session.commit()
    app.extensions["hub_test_world"] = world
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(demo_app):
    return demo_app.extensions["hub_test_world"]
