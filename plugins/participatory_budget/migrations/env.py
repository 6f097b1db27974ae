from hub.plugin import run_migrations_env

"""Alembic environment of the participatory budget plugin history (shared logic in hub.migrating)."""


run_migrations_env()
