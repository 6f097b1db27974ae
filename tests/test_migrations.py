"""Migrations: a fresh database migrated to head matches the models, on SQLite and PostgreSQL,
and every history can step back one revision and up again."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import PG_URL, TEST_CONFIG
from sqlalchemy import create_engine, text

from hub import create_app, migrating
from hub.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    schema = f"migtest_{os.getpid()}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def migrated_app(tmp_path, empty_database_url):
    app = create_app({**TEST_CONFIG, "INSTANCE_PATH": str(tmp_path / "inst"),
                      "DATABASE_URL": empty_database_url,
                      "EXTRA_PLUGINS": {"example": "example_plugin.plugin"}})
    migrating.upgrade(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _owned_tables(app):
    prefixes = migrating._plugin_prefixes(app)
    owners = {owner for owner, _f, _t in migrating.migration_sources(app)}
    return {t for t in db.metadata.tables
            if migrating.table_owner(t, prefixes) in owners}


def test_migrated_schema_matches_the_models(migrated_app):
    with migrated_app.app_context():
        tables = _owned_tables(migrated_app)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    (name in tables or name.startswith("alembic_version")) if type_ == "table"
                    else getattr(getattr(obj, "table", None), "name", None) in tables
                    or getattr(obj, "table", None) is None),
            })
            diff = compare_metadata(context, db.metadata)
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith("alembic"))]
    assert diff == [], "models and migrations differ: run `hub db revision <owner> -m ...`"


def test_upgrade_from_the_previous_core_revision(migrated_app):
    """Plugins (whose tables may reference core tables) go back to base, the core one revision
    back, then ``hub db upgrade`` brings everything to head again."""
    sources = migrating.migration_sources(migrated_app)
    for owner, _folder, _table in reversed(sources):
        migrating.downgrade(migrated_app, owner, "base" if owner != "core" else "-1")
    migrating.upgrade(migrated_app)
    with migrated_app.app_context():
        from hub.accounts.models import User

        assert db.session.query(User).count() == 0


def test_core_history_has_a_single_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrating.CORE_MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
