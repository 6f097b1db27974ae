"""Database migrations: the core's Alembic history plus one history per plugin.

Each history has its own folder and version table (``alembic_version`` for the
core, ``alembic_version_<plugin>`` for a plugin), so installing or removing a
plugin never entangles the core's revisions. SQLite runs in batch mode.
``hub db upgrade`` brings the core, then every installed plugin, to head.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app

from .extensions import db

CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migration_sources(app) -> list[tuple[str, Path, str]]:
    """``(owner, folder, version_table)`` for the core and each loaded plugin that has migrations."""
    sources = [("core", CORE_MIGRATIONS, "alembic_version")]
    for name, folder in app.extensions["hub"].plugins.call_each(
        "hub_register_migrations", include_disabled=True
    ):
        if folder:
            sources.append((name, Path(folder), f"alembic_version_{name}"))
    return sources


def _config(app, owner: str, folder: Path, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(folder))
    config.set_main_option("path_separator", "os")  # no legacy space/comma splitting of paths
    config.set_main_option("version_locations", str(folder / "versions"))
    config.attributes.update(
        app=app, owner=owner, version_table=version_table, plugin_prefixes=_plugin_prefixes(app)
    )
    return config


def _plugin_prefixes(app) -> dict[str, str]:
    return {name: f"{name}_" for name, _f, _t in migration_sources(app) if name != "core"}


def upgrade(app, revision: str = "head") -> list[str]:
    """Upgrade every history; returns the owners processed."""
    done = []
    with app.app_context():
        for owner, folder, table in migration_sources(app):
            command.upgrade(_config(app, owner, folder, table), revision)
            done.append(owner)
    return done


def downgrade(app, owner: str, revision: str) -> None:
    with app.app_context():
        for name, folder, table in migration_sources(app):
            if name == owner:
                command.downgrade(_config(app, name, folder, table), revision)


def revision(app, owner: str, message: str, autogenerate: bool = True) -> None:
    with app.app_context():
        for name, folder, table in migration_sources(app):
            if name == owner:
                (folder / "versions").mkdir(parents=True, exist_ok=True)
                command.revision(
                    _config(app, name, folder, table), message=message, autogenerate=autogenerate
                )
                return
    raise KeyError(owner)


def table_owner(table_name: str, prefixes: dict[str, str]) -> str:
    for owner, prefix in prefixes.items():
        if table_name.startswith(prefix):
            return owner
    return "core"


def run_env() -> None:
    """Body of every history's ``env.py``: migrate only the tables its owner owns."""
    from alembic import context

    config = context.config
    owner = config.attributes["owner"]
    prefixes = config.attributes["plugin_prefixes"]

    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            return table_owner(name, prefixes) == owner
        table = getattr(obj, "table", None)
        return table is None or table_owner(table.name, prefixes) == owner

    with current_app.app_context():
        with db.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # SQLite's batch mode rebuilds a table (copy, drop, rename): with foreign keys
                # on, dropping the old table would cascade-delete the rows that refer to it.
                # The pragma only works outside a transaction, hence on the raw connection.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                version_table=config.attributes["version_table"],
                render_as_batch=True,
                include_object=include_object,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
            connection.commit()
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
