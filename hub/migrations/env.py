"""Alembic environment of the core history (shared logic in hub.migrating)."""

from hub.migrating import run_env

run_env()
