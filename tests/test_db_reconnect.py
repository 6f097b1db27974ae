"""A dropped database connection is replaced before it is used (PostgreSQL): the check of
idle pooled connections, and a web request's first statement tried again on a fresh
connection (hub.db._ping_idle_connections)."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

import hub.db
from hub.extensions import db


def _terminate_pooled_connection(app) -> None:
    """Leave exactly one connection in the pool, then have the server end it."""
    with app.app_context():
        if hub.db.is_sqlite(db.engine):
            pytest.skip("SQLite files have no connection to drop")
        db.engine.dispose()
        with db.engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        url = db.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            if not admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone():
                return
            time.sleep(0.02)
    raise AssertionError("the server did not end the connection")


def test_a_request_survives_a_connection_dropped_between_busy_requests(app, client):
    """Just used, the connection is not checked on its way out of the pool: the request's
    first statement meets the dropped connection and is tried once more on a fresh one."""
    assert client.get("/api/v1/budgets").status_code == 200
    _terminate_pooled_connection(app)
    assert client.get("/api/v1/budgets").status_code == 200


def test_an_idle_connection_is_checked_before_use(app, monkeypatch):
    """A connection idle for longer than PING_IDLE_SECONDS is checked on checkout and a dead
    one replaced (a command or the worker, which have no request to try again)."""
    _terminate_pooled_connection(app)
    monkeypatch.setattr(hub.db, "PING_IDLE_SECONDS", 0.0)
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_a_logged_in_request_survives_a_dropped_connection(app, client, auth, make_user):
    """Logged in, the request's first statement is the account's (the settings' generation
    comes with it): it too is tried once more on a fresh connection."""
    make_user("res@example.org")
    auth.login("res@example.org")
    assert client.get("/me").status_code == 200
    _terminate_pooled_connection(app)
    assert client.get("/me").status_code == 200
