"""Alembic environment of the example plugin history (shared logic in hub.migrating)."""

from hub.migrating import run_env

run_env()
