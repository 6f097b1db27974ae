"""Alembic environment of the federation history (shared logic in the hub)."""

from hub.plugin import run_migrations_env

run_migrations_env()
