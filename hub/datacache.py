"""Short-lived, process-local memos of derived figures, dropped by every write.

Some figures are shown on every page but cost a dozen queries to compute (the staff's
"To do" count in the menu). :func:`remember` keeps one for ``seconds`` in this process,
keyed by what it depends on (always include the user for anything personal), and forgets
every memo as soon as this process commits a transaction that wrote anything. Another
worker's write is seen when the memo expires, so only figures that may lag by a few seconds
belong here, never a page or a permission.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from flask import g, has_request_context
from sqlalchemy import event
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
        _forget_all()
        if has_request_context():
            g.hub_wrote = True  # the viewer's own write (hub.sharedparts: read-your-writes)
