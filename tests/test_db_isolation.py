"""PostgreSQL transactions run at READ COMMITTED whatever the server's default: the row locks
and re-checks of concurrent writes (ballots, signatures, the close of a vote) and
``write_transaction(continue_reads=True)`` assume it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hub.db import is_sqlite, write_transaction
from hub.extensions import db


def test_transactions_are_read_committed_whatever_the_database_default(make_app, app):
    with app.app_context():
        if is_sqlite(db.engine):
            pytest.skip("SQLite has no isolation levels to choose")
        url = db.engine.url.render_as_string(hide_password=False)
    separator = "&" if "?" in url else "?"
    # A database (or role, or server) whose default is SERIALIZABLE.
    strict = make_app(
        database_url=f"{url}{separator}options=-cdefault_transaction_isolation%3Dserializable"
    )
    with strict.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW default_transaction_isolation").scalar() == (
                "serializable"
            )
    level = text("SHOW transaction_isolation")
    with strict.test_request_context():
        # A request's read transaction, then the write that goes on in it, then a fresh one.
        assert db.session.execute(level).scalar() == "read committed"
        with write_transaction(continue_reads=True):
            assert db.session.execute(level).scalar() == "read committed"
        with write_transaction():
            assert db.session.execute(level).scalar() == "read committed"
