"""Database helpers: engine tuning, write transactions and small column helpers.

SQLite is the embedded default. It runs in WAL mode with foreign keys and a busy
timeout; SQLAlchemy drives the transactions itself (the driver's own implicit
BEGIN is switched off) so that a write that first reads can open its transaction
with ``BEGIN IMMEDIATE`` and never fail half-way on a lock upgrade. PostgreSQL
needs none of this: services take row locks (``SELECT ... FOR UPDATE``) instead.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_immediate = contextvars.ContextVar("hub_sqlite_begin_immediate", default=False)


def utcnow() -> datetime:
    """Naive UTC now: what every timestamp column stores, on both engines."""
    return datetime.now(UTC).replace(tzinfo=None)


def is_sqlite(engine: Engine | None = None) -> bool:
    return (engine or db.engine).dialect.name == "sqlite"


def configure_engine(engine: Engine, busy_timeout_ms: int = 15000) -> None:
    """Install SQLite pragmas and explicit transaction control on ``engine``."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextmanager
def write_transaction():
    """Run the block in one write transaction, committed at the end or rolled back.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write
    lock before the first read, so read-then-write sequences (counts, thresholds,
    ballots) are serialised instead of failing with "database is locked".
    Any transaction already open in the session (e.g. the one that loaded the
    current user) is committed first.
    """
    session = db.session()  # the real Session behind the scoped proxy
    if session.in_transaction():
        session.commit()
    token = _immediate.set(True)
    try:
        session.connection()  # begins the transaction now, with the flag set
    finally:
        _immediate.reset(token)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def for_update(query):
    """Add ``FOR UPDATE`` on engines that support row locks (SQLite locks the database instead)."""
    if is_sqlite():
        return query
    return query.with_for_update()
