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


# Pages whose lists vary with their object: the page of up to OBJECTS_PER_TYPE demo objects of
# every type (test_query_budget.py, test_shared_parts_demo.py).
OBJECTS_PER_TYPE = 25
# Types the demo has no object of (their pages are measured by the walk of the URL map).
NOT_IN_THE_DEMO = {"minutes_amendment"}


@pytest.fixture(scope="module")
def object_pages(demo_app):
    """``[(type name, url)]``: the page of up to ``OBJECTS_PER_TYPE`` demo objects per type."""
    from sqlalchemy import select

    from hub.extensions import db
    from hub.registry import registry

    pages: dict[str, str] = {}
    with demo_app.test_request_context():
        reg = registry()
        # Types with a page of their own first, so that a page is named after its object.
        types = sorted(reg.types.items(), key=lambda item: item[1].url_of is not None)
        for name, object_type in types:
            if object_type.switched_off():
                continue
            model = object_type.model
            found = db.session.scalars(
                select(model).order_by(model.id).limit(OBJECTS_PER_TYPE)
            ).all()
            if name not in NOT_IN_THE_DEMO:
                assert found, f"the demo has no {name}: this test would not see its pages"
            for obj in found:
                url = object_type.url(obj).split("#", 1)[0]
                if url != "/":  # an object whose target is gone
                    pages.setdefault(url, name)
        db.session.rollback()
    return [(name, url) for url, name in pages.items()]
