"""Signed messages to peers' inboxes: queued in the transaction of the change, delivered by
the worker (``hub federation worker``, ``hub federation sync``, or the ``federation.deliver``
job of ``hub worker``), never inside a request. Delivered in order per peer; a failure stops
that peer's queue and is retried with a growing delay; after ``MAX_ATTEMPTS`` the message is
dead and listed for the admin, who may retry it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid as uuidlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from hub.plugin import db, is_sqlite, utcnow, write_transaction

from .models import Outgoing, Peer
from .signing import sign_request

MAX_ATTEMPTS = 10
TIMEOUT = 10


class TransportError(Exception):
    pass


class ProtocolMismatch(TransportError):
    """The peer speaks another version of the federation protocol (the message says which
    side to update)."""


def note_protocol(peer_id: int, status: int, headers, body: bytes) -> str:
    """Record the protocol version the peer answered in; the admin's message on a mismatch."""
    from .protocol import answered, mismatch_message, version

    theirs, ours = answered(status, headers, body), version()
    message = ""
    peer = db.session.get(Peer, peer_id)
    if peer.protocol == theirs and theirs == ours:
        return ""  # the usual case: nothing to write
    with write_transaction():
        peer = db.session.get(Peer, peer_id)
        peer.protocol = theirs
        if theirs != ours:
            message = mismatch_message(ours, theirs, peer.url)
            peer.last_error = message
    return message


def own_url() -> str:
    return (current_app.config.get("BASE_URL") or "").rstrip("/")


def http(
    base_url: str, method: str, path: str, body: bytes = b"", key_id: str | None = None
) -> tuple[int, dict, bytes]:
    """One signed HTTP request to a peer: (status, headers, body); TransportError when the
    peer cannot be reached."""
    url = base_url.rstrip("/") + path
    headers = sign_request(method, url, body, key_id=key_id)
    request = urllib.request.Request(
        url, data=body if method == "POST" else None, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # nosec B310 - the peer URL an admin approved
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise TransportError(str(getattr(exc, "reason", exc))) from exc


def enqueue(peer: Peer, kind: str, payload: dict, sign_key_id: str = "") -> Outgoing:
    """Queue a message for ``peer`` inside the caller's write transaction."""
    message = Outgoing(
        uuid=str(uuidlib.uuid4()),
        peer_id=peer.id,
        kind=kind,
        payload=payload,
        sign_key_id=sign_key_id,
        created_at=utcnow(),
        attempts=0,
        last_error="",
    )
    db.session.add(message)
    return message


def backoff(attempts: int) -> timedelta:
    base = float(current_app.config.get("FEDERATION_RETRY_SECONDS", 30))
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 6 * 3600))


def _pending_of(peer_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Outgoing.id)
            .where(
                Outgoing.peer_id == peer_id,
                Outgoing.delivered_at.is_(None),
                Outgoing.dead_at.is_(None),
            )
            .order_by(Outgoing.id)
        )
    )


def _claim(message_id: int, now: datetime) -> dict | None:
    """Lease one message (attempt counted before sending); None when it is not due or
    another worker holds it."""
    with write_transaction():
        query = select(Outgoing).where(Outgoing.id == message_id)
        if not is_sqlite():
            query = query.with_for_update(skip_locked=True, of=Outgoing)
        row = db.session.scalar(query.execution_options(populate_existing=True))
        if row is None or row.delivered_at or row.dead_at:
            return None
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return None
        peer = row.peer
        if peer.suspended_at is not None:
            return None
        if not peer.active and row.kind not in ("pairing.approved", "key.rotated"):
            return None
        row.attempts += 1
        row.next_attempt_at = now + backoff(row.attempts)
        return {
            "id": row.id,
            "url": peer.url,
            "key": row.sign_key_id or None,
            "body": json.dumps(
                {
                    "id": row.uuid,
                    "type": row.kind,
                    "from": own_url(),
                    "data": row.payload,
                    "sent_at": row.created_at.isoformat() + "Z",
                },
                sort_keys=True,
            ).encode(),
        }


def _record(message_id: int, error: str) -> None:
    with write_transaction():
        row = db.session.get(Outgoing, message_id)
        if error:
            row.last_error = error[:2000]
            if row.attempts >= MAX_ATTEMPTS:
                row.dead_at = utcnow()
        else:
            row.delivered_at = utcnow()
            row.last_error = ""


def deliver(now: datetime | None = None) -> dict:
    """One pass over every peer's queue; returns counts of delivered and failed messages."""
    now = now or utcnow()
    delivered = failed = 0
    for peer_id in db.session.scalars(select(Peer.id).order_by(Peer.id)).all():
        for message_id in _pending_of(peer_id):
            claimed = _claim(message_id, now)
            if claimed is None:
                break  # not due yet, or leased: the messages after it wait (order)
            try:
                status, headers, body = http(
                    claimed["url"], "POST", "/federation/v1/inbox", claimed["body"], claimed["key"]
                )
                error = note_protocol(peer_id, status, headers, body)
                if not error and not 200 <= status < 300:
                    error = f"HTTP {status}: {body[:300]!r}"
            except TransportError as exc:
                error = f"unreachable: {exc}"
            _record(message_id, error)
            if error:
                failed += 1
                break
            delivered += 1
    return {"delivered": delivered, "failed": failed}


def dead_letters(limit: int = 100) -> list[Outgoing]:
    return list(
        db.session.scalars(
            select(Outgoing)
            .where(Outgoing.dead_at.is_not(None), Outgoing.delivered_at.is_(None))
            .order_by(Outgoing.id.desc())
            .limit(limit)
        )
    )


def waiting(limit: int = 100) -> list[Outgoing]:
    return list(
        db.session.scalars(
            select(Outgoing)
            .where(Outgoing.dead_at.is_(None), Outgoing.delivered_at.is_(None))
            .order_by(Outgoing.id)
            .limit(limit)
        )
    )


def retry(message: Outgoing) -> None:
    """Give a dead (or waiting) message a new series of attempts, due now."""
    message.dead_at = None
    message.attempts = 0
    message.next_attempt_at = None
