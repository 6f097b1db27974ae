"""Short-lived, process-local memos of derived figures, dropped by every write.

Some figures are shown on every page but cost a dozen queries to compute (the staff's
"To do" count in the menu). :func:`remember` keeps one for ``seconds`` in this process,
keyed by what it depends on (always include the user for anything personal), and forgets
every memo as soon as this process commits a transaction that wrote anything. Another
worker's write is seen when the memo expires, so only figures that may lag by a few seconds
belong here, never a page or a permission.

A write is seen at the connection, whichever way it went: through the ORM, through
``session.connection().execute()`` (the hot paths of a voting day write plain statements),
or on a connection of the engine outside any session. Every statement but a read
(``SELECT`` without a data-modifying ``WITH``, ``SHOW``, ``SAVEPOINT``…) marks the
transaction as a writer; its commit bumps :func:`data_version` and, in a request, records
the viewer's own write (:mod:`hub.sharedparts`: read-your-writes).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Hashable

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_lock = threading.Lock()
_memos: dict[tuple, tuple[float, int, object]] = {}
_version = 0
_MAX_ENTRIES = 10_000


def data_version() -> int:
    """Bumped by every commit of this process that wrote."""
    return _version


def remember(namespace: str, key: Hashable, seconds: float, compute: Callable[[], object]):
    """``compute()``, or its value remembered under ``(namespace, key)`` for ``seconds``."""
    if seconds <= 0:
        return compute()
    now = time.monotonic()
    full_key = (namespace, key)
    found = _memos.get(full_key)
    if found is not None and found[0] > now and found[1] == _version:
        return found[2]
    version = _version
    value = compute()
    store(namespace, key, seconds, value, version)
    return value


def store(namespace: str, key: Hashable, seconds: float, value, version: int | None = None):
    """Remember ``value`` (computed at data ``version``, by default now)."""
    if seconds <= 0:
        return
    with _lock:
        if len(_memos) >= _MAX_ENTRIES:
            _memos.clear()
        _memos[(namespace, key)] = (
            time.monotonic() + seconds,
            _version if version is None else version,
            value,
        )


def _forget_all() -> None:
    global _version
    with _lock:
        _version += 1
        _memos.clear()


# Statements that write nothing: a read (unless a ``WITH`` holds a data-modifying statement)
# or transaction and session control. Anything else counts as a write: a statement taken
# for a write when it is not only empties the memos sooner.
_READS = re.compile(
    r"\s*(?:SELECT\b|SHOW\b|SAVEPOINT\b|RELEASE\b|ROLLBACK\b|BEGIN\b|COMMIT\b|SET\b"
    r"|PRAGMA\b|EXPLAIN\b(?!.*\bANALYZE\b)|VALUES\b)",
    re.IGNORECASE,
)
_MODIFYING = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", re.IGNORECASE)


def _writes(statement: str) -> bool:
    if statement[:4].upper() == "WITH":
        return _MODIFYING.search(statement) is not None
    return _READS.match(statement) is None


# Whether each statement text writes (SQLAlchemy's compiled statements come back as the same
# few hundred strings): one dictionary look-up per statement.
_known: dict[str, bool] = {}


@event.listens_for(Session, "after_begin")
def _began(session, _transaction, connection):
    """The session's transaction on ``connection`` (a ``Connection`` of its own, closed with
    the transaction): its writes are the session's."""
    connection._hub_session_info = session.info


@event.listens_for(Engine, "before_cursor_execute", retval=True)
def _statement(connection, _cursor, statement, parameters, _context, _executemany):
    """Every statement, ORM or not: a write marks its session's transaction (or, outside a
    session, the connection) as a writer."""
    writes = _known.get(statement)
    if writes is None:
        writes = _writes(statement)
        if len(_known) < 5_000:
            _known[statement] = writes
    if writes:
        session_info = getattr(connection, "_hub_session_info", None)
        if session_info is not None:
            session_info["hub_wrote"] = True
        else:
            connection._hub_wrote = True
    return statement, parameters


@event.listens_for(Engine, "commit")
def _connection_committed(connection):
    """A connection used outside any session committed what it wrote (a write rolled back
    before a later commit on the same connection counts too: the memos go sooner)."""
    if getattr(connection, "_hub_wrote", False):
        connection._hub_wrote = False
        _note_write()


@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    session.info["hub_wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    if not state.is_select:
        state.session.info["hub_wrote"] = True


@event.listens_for(Session, "after_commit")
def _committed(session):
    bookkeeping = session.info.pop("hub_bookkeeping", False)
    if session.info.pop("hub_wrote", False) and not bookkeeping:
        _note_write()


def _note_write() -> None:
    _forget_all()
    if has_request_context():
        g.hub_wrote = True  # the viewer's own write (hub.sharedparts: read-your-writes)
