"""Maintenance of the signature service: counters recomputed from the rows, signers'
personal data wiped after closing, public names forgotten on account deletion."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from ... import audit
from ...db import for_update, utcnow, write_transaction
from ...extensions import db
from ..models import OfflineSignatureBatch, Signature, SignatureCollection


@dataclass(frozen=True)
class Drift:
    collection_id: int
    title: str
    field: str
    stored: int
    actual: int


def recount(fix: bool = True) -> list[Drift]:
    """Recompute every collection's counters from the rows; report (and fix) any drift."""
    drifts: list[Drift] = []
    with write_transaction():
        online = dict(
            db.session.execute(
                select(Signature.collection_id, func.count(Signature.id))
                .where(Signature.invalidated_at.is_(None))
                .group_by(Signature.collection_id)
            ).all()
        )
        paper = dict(
            db.session.execute(
                select(
                    OfflineSignatureBatch.collection_id, func.sum(OfflineSignatureBatch.count)
                ).group_by(OfflineSignatureBatch.collection_id)
            ).all()
        )
        for collection in db.session.scalars(
            for_update(select(SignatureCollection).order_by(SignatureCollection.id))
        ):
            for field, actual in (
                ("online_count", online.get(collection.id, 0)),
                ("offline_count", int(paper.get(collection.id) or 0)),
            ):
                stored = getattr(collection, field)
                if stored != actual:
                    drifts.append(Drift(collection.id, collection.title, field, stored, actual))
                    if fix:
                        setattr(collection, field, actual)
        if drifts and fix:
            audit.record(
                "signatures.recounted",
                object_type="signature_collection",
                drifts=[d.__dict__ for d in drifts],
            )
    return drifts


def months_before(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def anonymise_closed(months: int, now: datetime | None = None) -> list[SignatureCollection]:
    """Wipe who signed (account link, IP, email domain) in collections closed more than
    ``months`` ago; counts, dates and neighbourhoods stay for the published results."""
    cutoff = months_before(now or utcnow(), months)
    with write_transaction():
        due = list(
            db.session.scalars(
                select(SignatureCollection).where(
                    SignatureCollection.anonymised_at.is_(None),
                    SignatureCollection.accepting.is_(False),
                    SignatureCollection.closes_at.is_not(None),
                    SignatureCollection.closes_at < cutoff,
                )
            )
        )
        for collection in due:
            db.session.execute(
                update(Signature)
                .where(Signature.collection_id == collection.id)
                .values(user_id=None, ip="", email_domain="", public_name=False)
                .execution_options(synchronize_session=False)
            )
            collection.anonymised_at = utcnow()
            audit.record("signatures.anonymised", collection, months=months)
    return due


def forget_public_names(user_id: int) -> None:
    """On account deletion: the signatures still count, the name is no longer shown."""
    db.session.execute(
        update(Signature)
        .where(Signature.user_id == user_id)
        .values(public_name=False)
        .execution_options(synchronize_session=False)
    )
