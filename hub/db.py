"""Database helpers: engine tuning, write transactions and small column helpers.

SQLite is the embedded default. It runs in WAL mode with foreign keys and a busy
timeout; SQLAlchemy drives the transactions itself (the driver's own implicit
BEGIN is switched off) so that a write that first reads can open its transaction
with ``BEGIN IMMEDIATE`` and never fail half-way on a lock upgrade. PostgreSQL
needs none of this: services take row locks (``SELECT ... FOR UPDATE``) instead.
"""

from __future__ import annotations

import contextvars
import fcntl
import os
import threading
import time
import uuid
from contextlib import contextmanager

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from .extensions import db
from .timeutil import utcnow  # noqa: F401 - re-exported: models import it from here

_immediate = contextvars.ContextVar("hub_sqlite_begin_immediate", default=False)


def is_sqlite(engine: Engine | None = None) -> bool:
    return (engine or db.engine).dialect.name == "sqlite"


# A pooled connection unused for longer than this is checked (one round trip) before use.
PING_IDLE_SECONDS = 5.0


def configure_engine(engine: Engine, busy_timeout_ms: int = 15000) -> None:
    """Install SQLite pragmas and explicit transaction control on ``engine``; on a server
    database, the check of idle connections (:func:`_ping_idle_connections`)."""
    if engine.dialect.name != "sqlite":
        _ping_idle_connections(engine)
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Bounds what PRAGMA optimize (below) and the worker's ANALYZE read per index.
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.close()

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection, _record):
        # SQLite's advice for every connection: before closing, analyse the tables whose
        # statistics the queries of this connection found missing or stale (a bounded
        # sample, milliseconds). The worker also refreshes them daily (hub.housekeeping).
        try:
            dbapi_connection.execute("PRAGMA optimize")
        except Exception:  # a busy or read-only database keeps its old statistics
            pass

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def _ping_idle_connections(engine: Engine) -> None:
    """Check a connection leaving the pool when it sat unused for ``PING_IDLE_SECONDS``.

    ``pool_pre_ping`` checks every checkout: one more round trip per request, a ninth of a
    voting day's ballot. Connections are dropped by idle timeouts, restarts and failovers;
    the first are caught here, before use, like ``pool_pre_ping`` (a dead connection is
    replaced by a fresh one: the pool retries on ``DisconnectionError``). A connection that
    dies between two busy requests fails on its first statement, which for a web request
    is the read of the settings' generation: ``hub.web`` retries that read once on a fresh
    connection (SQLAlchemy invalidates the pool on a disconnection), before anything was
    written. Commands and the worker check out connections that sat idle, so they are
    checked here."""

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection, record):
        record.info["hub_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["hub_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        since = record.info.get("hub_idle_since")
        if since is not None and time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError("an idle connection was dropped") from exc
            raise


@contextmanager
def write_transaction(*, continue_reads: bool = False):
    """Run the block in one write transaction, committed at the end or rolled back.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write
    lock before the first read, so read-then-write sequences (counts, thresholds,
    ballots) are serialised instead of failing with "database is locked".
    Any read transaction already open in the session (e.g. the one that loaded the
    current user) is committed first.

    ``continue_reads=True``: on PostgreSQL, a read transaction already open goes on as the
    write transaction instead of being committed first (one BEGIN and one COMMIT instead of
    two of each, for a hot path that reads, then writes). Sound because PostgreSQL runs at
    READ COMMITTED: every statement of the write sees what was committed when it starts and
    takes its own locks, exactly as in a fresh transaction; what the reads returned must
    be re-checked under those locks, as it would be anyway. SQLite always begins anew (its
    write lock must come from ``BEGIN IMMEDIATE``).

    Nesting is safe: a service that owns its transaction (``signatures.sign``…) called
    inside another ``write_transaction`` runs in a SAVEPOINT of the outer one. Its
    failure rolls back to the savepoint only; its success is committed with the outer
    transaction, never on its own. Nothing waits for a lock it already holds.
    """
    session = db.session()  # the real Session behind the scoped proxy
    depth = session.info.get("hub_write_depth", 0)
    if depth:
        session.info["hub_write_depth"] = depth + 1
        try:
            with session.begin_nested():
                yield session
        finally:
            session.info["hub_write_depth"] = depth
        return
    if session.in_transaction():
        if continue_reads and not is_sqlite():
            with _transaction(session):
                yield session
            return
        session.commit()
    with _writer_queue(db.engine):
        token = _immediate.set(True)
        try:
            session.connection()  # begins the transaction now, with the flag set
        finally:
            _immediate.reset(token)
        with _transaction(session):
            yield session


@contextmanager
def _transaction(session):
    """The transaction open in ``session`` as the write transaction: committed at the end
    (deferred writes first, then the after-commit callbacks) or rolled back."""
    session.info["hub_write_depth"] = 1
    try:
        yield session
        _run_deferred_writes(session)
        session.commit()
    except BaseException:
        session.info.pop("hub_after_commit", None)
        session.rollback()
        raise
    finally:
        session.info["hub_write_depth"] = 0
    _after_commit(session)


def in_write_transaction() -> bool:
    """Whether the current session is inside :func:`write_transaction`."""
    return bool(db.session().info.get("hub_write_depth"))


def after_commit(callback) -> None:
    """Run ``callback()`` once the current write transaction has committed (never if it
    rolls back). Outside a write transaction it runs at once."""
    session = db.session()
    if not session.info.get("hub_write_depth"):
        callback()
        return
    session.info.setdefault("hub_after_commit", []).append(callback)


def _after_commit(session) -> None:
    callbacks = session.info.pop("hub_after_commit", [])
    for callback in callbacks:
        callback()


def defer_write(key: str, write) -> None:
    """Run ``write(session)`` in the request's next write transaction, or at its end.

    For bookkeeping that may wait (a token's last use): a request that writes anyway
    carries it in the same transaction instead of taking the write lock twice; a
    read-only request runs it in one short transaction when it ends. ``key`` keeps one
    pending write per purpose.
    """
    if has_request_context():
        g.setdefault("hub_deferred_writes", {})[key] = write
    else:
        with write_transaction() as session:
            write(session)


def _run_deferred_writes(session) -> None:
    if has_request_context():
        for write in g.pop("hub_deferred_writes", {}).values():
            write(session)


def flush_deferred_writes() -> None:
    """Teardown: run what no write transaction of the request carried."""
    if g.get("hub_deferred_writes"):
        db.session.rollback()
        # Bookkeeping only (a token's last use): memos of derived figures stay valid.
        session = db.session()
        session.info["hub_bookkeeping"] = True
        try:
            with write_transaction():
                pass
        finally:
            session.info.pop("hub_bookkeeping", None)


class _SQLiteWriterQueue:
    """Writers of one SQLite file wait in line on an OS lock, not in SQLite's busy handler.

    SQLite's busy handler polls: a writer that finds the database locked sleeps up to
    100 ms between attempts, however soon the lock is freed. Under a burst (a petition
    shared on the news) that wastes most of the time. An exclusive ``flock`` on a file
    beside the database wakes the next writer as soon as the previous one commits. A
    thread lock orders the threads of one process (``flock`` only orders processes);
    the file is reopened after a fork so that workers never share its lock.
    """

    def __init__(self, path: str):
        self.path = path + "-writers.lock"
        self.thread_lock = threading.Lock()
        self.fd: int | None = None
        self.pid = 0

    @contextmanager
    def hold(self):
        with self.thread_lock:
            if self.fd is None or self.pid != os.getpid():
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self.pid = os.getpid()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


_queues: dict[str, _SQLiteWriterQueue] = {}
_queues_lock = threading.Lock()


@contextmanager
def _writer_queue(engine: Engine):
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with _queues_lock:
        queue = _queues.get(database)
        if queue is None:
            queue = _queues[database] = _SQLiteWriterQueue(database)
    with queue.hold():
        yield


def new_uuid() -> str:
    """A stable identity for objects other hubs and exports refer to (UUID4, text)."""
    return str(uuid.uuid4())


def lock_key(name: str) -> None:
    """Serialise the writers of ``name`` until the transaction ends: two requests that would
    both find nothing and create the same thing take turns. SQLite's write transaction locks the
    whole database already (``BEGIN IMMEDIATE``); PostgreSQL takes an advisory lock."""
    if is_sqlite():
        return
    import hashlib

    from sqlalchemy import text

    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def for_update(query):
    """Add ``FOR UPDATE`` on engines that support row locks (SQLite locks the database instead).

    Only the rows of the queried entity are locked (``FOR UPDATE OF``): PostgreSQL refuses to
    lock the nullable side of the outer joins that eagerly loaded relations add."""
    if is_sqlite():
        return query
    entities = [d["entity"] for d in getattr(query, "column_descriptions", ()) if d.get("entity")]
    return query.with_for_update(of=entities[0]) if entities else query.with_for_update()
