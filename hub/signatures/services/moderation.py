"""Moderation of signatures: bursts that look coordinated, recent activity, and bulk
invalidation (under the collection's lock, the counter lowered by as many)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ... import audit
from ...accounts.models import User
from ...db import is_sqlite, utcnow, write_transaction
from ...extensions import db
from ...notifications.services import notify
from ..models import Signature, SignatureCollection
from .signing import _locked


@dataclass(frozen=True)
class InvalidationFilter:
    """What a moderator selects for bulk invalidation; at least one criterion is required."""

    ip: str = ""
    email_domain: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def is_empty(self) -> bool:
        return not (self.ip or self.email_domain or self.start or self.end)

    def clauses(self) -> list:
        clauses = []
        if self.ip:
            clauses.append(Signature.ip == self.ip)
        if self.email_domain:
            clauses.append(Signature.email_domain == self.email_domain.strip().lower())
        if self.start:
            clauses.append(Signature.created_at >= self.start)
        if self.end:
            clauses.append(Signature.created_at < self.end)
        return clauses


def matching_count(collection_id: int, selection: InvalidationFilter) -> int:
    """How many valid signatures a bulk invalidation would hit (shown before confirming)."""
    return (
        db.session.scalar(
            select(func.count(Signature.id)).where(
                Signature.collection_id == collection_id,
                Signature.invalidated_at.is_(None),
                *selection.clauses(),
            )
        )
        or 0
    )


def invalidate(collection_id: int, selection: InvalidationFilter, *, reason: str, actor) -> int:
    """Invalidate every valid signature matching ``selection``; the counter drops by as many."""
    if selection.is_empty():
        raise ValueError("an invalidation needs at least one criterion")
    with write_transaction():
        collection = _locked(collection_id)
        matching = (
            Signature.collection_id == collection.id,
            Signature.invalidated_at.is_(None),
            *selection.clauses(),
        )
        # The collection is locked: the signatures read here are the ones the update hits.
        signer_ids = list(db.session.scalars(select(Signature.user_id).where(*matching)))
        result = db.session.execute(
            update(Signature)
            .where(*matching)
            .values(invalidated_at=utcnow(), invalidation_reason=reason[:300])
            .execution_options(synchronize_session=False)
        )
        count = result.rowcount or 0
        collection.online_count -= count
        _tell_invalidated_signers(collection, signer_ids, reason)
        audit.record(
            "signatures.invalidated",
            collection,
            actor=actor,
            count=count,
            reason=reason,
            ip=selection.ip,
            email_domain=selection.email_domain,
            start=selection.start.isoformat() if selection.start else None,
            end=selection.end.isoformat() if selection.end else None,
        )
    return count


def _tell_invalidated_signers(collection: SignatureCollection, user_ids, reason: str) -> None:
    """Every signer whose signature no longer counts is told so, with the reason (a paper
    signature has no account to tell: its batch keeps the reason)."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return
    notify(
        db.session.scalars(
            select(User).options(selectinload(User.role_rows)).where(User.id.in_(ids))
        ),
        _("Your signature for “%(title)s” no longer counts", title=collection.title),
        collection.url,
        body=_("It was invalidated for this reason: %(reason)s", reason=reason),
        kind="signatures.invalidated",
    )


def _minute_expression():
    if is_sqlite():
        return func.strftime("%Y-%m-%d %H:%M", Signature.created_at)
    return func.to_char(Signature.created_at, "YYYY-MM-DD HH24:MI")


BURST_DIMENSIONS = ("ip", "email_domain", "minute")


def bursts(collection_id: int, by: str, *, minimum: int = 2, limit: int = 20):
    """Groups of valid signatures sharing an IP, an email domain or a minute, largest first:
    ``[(key, count, first_at, last_at)]``. What moderators look at to spot automation."""
    if by not in BURST_DIMENSIONS:
        raise ValueError(by)
    key = _minute_expression() if by == "minute" else getattr(Signature, by)
    count = func.count(Signature.id)
    rows = db.session.execute(
        select(
            key.label("key"),
            count.label("n"),
            func.min(Signature.created_at),
            func.max(Signature.created_at),
        )
        .where(
            Signature.collection_id == collection_id,
            Signature.invalidated_at.is_(None),
            Signature.user_id.is_not(None),
        )
        .group_by(key)
        .having(count >= minimum)
        .order_by(count.desc(), key)
        .limit(limit)
    ).all()
    return [tuple(row) for row in rows]


def recent_activity(hours: int = 24, limit: int = 50):
    """Collections with signatures in the last ``hours``: ``[(collection, recent, invalid)]``."""
    since = utcnow() - timedelta(hours=hours)
    recent = func.count(Signature.id)
    invalid = func.count(Signature.invalidated_at)
    rows = db.session.execute(
        select(SignatureCollection, recent, invalid)
        .join(Signature, Signature.collection_id == SignatureCollection.id)
        .where(Signature.created_at >= since)
        .group_by(SignatureCollection.id)
        .order_by(recent.desc())
        .limit(limit)
    ).all()
    return [tuple(row) for row in rows]
