"""Everything that writes signatures: signing, paper entries, invalidation, recount, anonymisation.

Writes run in :func:`hub.db.write_transaction` with the collection row locked
(``BEGIN IMMEDIATE`` on SQLite; ``SELECT ... FOR UPDATE`` on PostgreSQL), so signers
of one collection are serialised: the duplicate check, the insert, the counter and the
threshold markers are decided by one writer at a time. The unique constraint on
``(collection_id, user_id)`` is the backstop if a caller ever skips the lock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import lazyload

from .. import audit
from ..db import for_update, is_sqlite, utcnow, write_transaction
from ..extensions import db
from .models import OfflineSignatureBatch, Signature, SignatureCollection, SignatureThreshold


class SigningError(Exception):
    """Why a signature was refused; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class NotOpen(SigningError):
    status = 422


class NotEligible(SigningError):
    status = 403


class AlreadySigned(SigningError):
    status = 409


# --- Collections -------------------------------------------------------------------------------


def create_collection(object_type: str, object_id: int, *, title: str = "", url: str = "",
                      require_confirmed_email: bool = True,
                      require_verified_resident: bool = False, minimum_age: int | None = None,
                      thresholds=()) -> SignatureCollection:
    """Add a collection for an object (the caller commits). ``thresholds`` holds
    ``(count, action, label)`` triples; ``action`` names what the owner does when reached."""
    collection = SignatureCollection(
        object_type=object_type, object_id=object_id, title=title, url=url,
        require_confirmed_email=require_confirmed_email,
        require_verified_resident=require_verified_resident, minimum_age=minimum_age)
    for count, action, label in thresholds:
        collection.thresholds.append(
            SignatureThreshold(count=int(count), action=action, label=str(label)))
    db.session.add(collection)
    db.session.flush()
    return collection


def get_collection(object_type: str, object_id: int) -> SignatureCollection | None:
    return db.session.scalar(select(SignatureCollection).where(
        SignatureCollection.object_type == object_type,
        SignatureCollection.object_id == object_id))


def open_collection(collection: SignatureCollection, *, closes_at: datetime | None = None,
                    opens_at: datetime | None = None) -> None:
    collection.accepting = True
    collection.opens_at = opens_at or utcnow()
    collection.closes_at = closes_at


def close_collection(collection: SignatureCollection) -> None:
    """Stop accepting signatures now (the caller commits)."""
    collection.accepting = False
    now = utcnow()
    if collection.closes_at is None or collection.closes_at > now:
        collection.closes_at = now


# --- Who may sign --------------------------------------------------------------------------------


def closed_reason(collection: SignatureCollection, now: datetime | None = None):
    """A :class:`NotOpen` error when the collection takes no signature now, else None."""
    now = now or utcnow()
    if not collection.accepting and collection.opens_at is None:
        return NotOpen("not_open", _("Signatures are not open yet."))
    if collection.opens_at and now < collection.opens_at:
        return NotOpen("not_open", _("Signatures are not open yet."))
    if not collection.accepting or (collection.closes_at and now >= collection.closes_at):
        return NotOpen("closed", _("Signatures are closed."))
    return None


def ineligibility(collection: SignatureCollection, user, now: datetime | None = None):
    """A :class:`NotEligible` error saying why ``user`` may not sign, or None."""
    now = now or utcnow()
    if user is None or not getattr(user, "is_authenticated", False):
        return NotEligible("login_required", _("Log in to sign."))
    if collection.require_confirmed_email and not user.email_confirmed:
        return NotEligible("email_not_confirmed",
                           _("Confirm your email address to sign (see the link we sent you)."))
    if collection.require_verified_resident and not user.residence_verified:
        return NotEligible("residence_not_verified",
                           _("Only residents whose residence is verified may sign."))
    if collection.minimum_age:
        age = user.age_on(now.date())
        if age is None:
            return NotEligible("age_unknown", _(
                "Signing requires a minimum age of %(age)d: add your date of birth to your "
                "profile.", age=collection.minimum_age))
        if age < collection.minimum_age:
            return NotEligible("too_young", _("You must be at least %(age)d years old to sign.",
                                              age=collection.minimum_age))
    return None


def signature_of(collection_id: int, user_id: int | None) -> Signature | None:
    if user_id is None:
        return None
    return db.session.scalar(select(Signature).where(Signature.collection_id == collection_id,
                                                     Signature.user_id == user_id))


# --- Writes --------------------------------------------------------------------------------------


def _locked(collection_id: int) -> SignatureCollection:
    """The collection, re-read under the write lock (row lock on PostgreSQL)."""
    collection = db.session.scalar(_locked_query(is_sqlite()), {"collection_id": collection_id})
    if collection is None:
        raise LookupError(collection_id)
    return collection


@lru_cache(maxsize=2)
def _locked_query(sqlite: bool):
    query = (select(SignatureCollection)
             .where(SignatureCollection.id == bindparam("collection_id"))
             .options(lazyload(SignatureCollection.thresholds))
             .execution_options(populate_existing=True))
    return query if sqlite else query.with_for_update()


def _fire_thresholds(collection: SignatureCollection, total: int) -> list[SignatureThreshold]:
    """Mark and dispatch every threshold ``total`` reached, in the caller's transaction.

    The collection row is locked, so exactly one transaction sees each threshold unfired.
    Invalidations lower the count but never un-fire a threshold: its action has happened.
    """
    reached = db.session.scalars(
        select(SignatureThreshold).where(SignatureThreshold.collection_id == collection.id,
                                         SignatureThreshold.fired_at.is_(None),
                                         SignatureThreshold.count <= total)
        .order_by(SignatureThreshold.count).execution_options(populate_existing=True)).all()
    if not reached:
        return reached
    db.session.refresh(collection)  # owners see the counters as they are now
    hook = current_app.extensions["hub"].plugins.hook("hub_on_threshold_reached")
    for threshold in reached:
        threshold.fired_at = utcnow()
        audit.record("signatures.threshold_reached", collection, threshold_action=threshold.action,
                     threshold=threshold.count, total=total)
        hook(collection=collection, threshold=threshold)
    return reached


@dataclass(frozen=True)
class Signer:
    """What the rules need to know about a signer, read before the write lock is taken so
    that the locked part of signing stays a handful of statements."""

    id: int
    email: str
    email_confirmed: bool
    residence_verified: bool
    birth_date: object
    neighbourhood_id: int | None
    is_authenticated: bool = True

    @classmethod
    def of(cls, user) -> Signer:
        return cls(user.id, user.email, user.email_confirmed, user.residence_verified,
                   user.birth_date, user.neighbourhood_id)

    def age_on(self, day):
        from ..accounts.models import User

        return User.age_on(self, day)


@dataclass(frozen=True)
class Signed:
    """The outcome of :func:`sign`: the new signature's collection and its new total."""

    collection_id: int
    user_id: int
    total: int


@lru_cache(maxsize=1)
def _count_one_more():
    """Add one to the online counter, returning the new total and the smallest unfired
    threshold in the same statement: most signatures cross none, and then the thresholds
    are not queried at all. Built once (the hot path of a signing spike)."""
    next_threshold = (select(func.min(SignatureThreshold.count))
                      .where(SignatureThreshold.collection_id == bindparam("collection_id"),
                             SignatureThreshold.fired_at.is_(None))
                      .scalar_subquery())
    return (update(SignatureCollection)
            .where(SignatureCollection.id == bindparam("collection_id"))
            .values(online_count=SignatureCollection.online_count + 1)
            .returning(SignatureCollection.online_count + SignatureCollection.offline_count,
                       next_threshold)
            .execution_options(synchronize_session=False))


@lru_cache(maxsize=2)
def _insert_once(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING on (collection_id, user_id) RETURNING id: no row when
    already signed. Built once per dialect; the values come as parameters."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return (insert(Signature).on_conflict_do_nothing(index_elements=["collection_id", "user_id"])
            .returning(Signature.id))


def sign(collection_id: int, user, *, public_name: bool = False, ip: str = "") -> Signed:
    """Record ``user``'s signature or raise :class:`SigningError` (nothing is written then).

    Inside the lock: read the rules, insert (a duplicate inserts nothing), bump the counter
    and read the new total in the same statement, then check the thresholds.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotEligible("login_required", _("Log in to sign."))
    signer = Signer.of(user)
    with write_transaction():
        collection = _locked(collection_id)
        refusal = closed_reason(collection) or ineligibility(collection, signer)
        if refusal:
            raise refusal
        connection = db.session.connection()
        inserted = connection.execute(_insert_once(connection.dialect.name), dict(
            collection_id=collection.id, user_id=signer.id, public_name=bool(public_name),
            neighbourhood_id=signer.neighbourhood_id, ip=(ip or "")[:64],
            email_domain=signer.email.rpartition("@")[2][:255], created_at=utcnow(),
            invalidation_reason="")).first()
        if inserted is None:
            raise AlreadySigned("already_signed", _("You have already signed."))
        total, next_threshold = db.session.execute(
            _count_one_more(), {"collection_id": collection.id}).one()
        if next_threshold is not None and total >= next_threshold:
            _fire_thresholds(collection, total)
    return Signed(collection_id, signer.id, total)


def add_offline(collection_id: int, count: int, *, actor, note: str = "",
                neighbourhood_id: int | None = None) -> OfflineSignatureBatch:
    """Enter paper signatures collected by the commune; counted apart, audited."""
    if count <= 0:
        raise ValueError("count must be positive")
    with write_transaction():
        collection = _locked(collection_id)
        batch = OfflineSignatureBatch(collection_id=collection.id, count=count, note=note,
                                      neighbourhood_id=neighbourhood_id,
                                      entered_by_id=getattr(actor, "id", None))
        db.session.add(batch)
        collection.offline_count += count
        db.session.flush()
        audit.record("signatures.offline_added", collection, actor=actor, count=count,
                     note=note, batch=batch.id)
        _fire_thresholds(collection, collection.total)
    return batch


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
    return db.session.scalar(select(func.count(Signature.id)).where(
        Signature.collection_id == collection_id, Signature.invalidated_at.is_(None),
        *selection.clauses())) or 0


def invalidate(collection_id: int, selection: InvalidationFilter, *, reason: str,
               actor) -> int:
    """Invalidate every valid signature matching ``selection``; the counter drops by as many."""
    if selection.is_empty():
        raise ValueError("an invalidation needs at least one criterion")
    with write_transaction():
        collection = _locked(collection_id)
        result = db.session.execute(
            update(Signature)
            .where(Signature.collection_id == collection.id, Signature.invalidated_at.is_(None),
                   *selection.clauses())
            .values(invalidated_at=utcnow(), invalidation_reason=reason[:300])
            .execution_options(synchronize_session=False))
        count = result.rowcount or 0
        collection.online_count -= count
        audit.record("signatures.invalidated", collection, actor=actor, count=count,
                     reason=reason, ip=selection.ip, email_domain=selection.email_domain,
                     start=selection.start.isoformat() if selection.start else None,
                     end=selection.end.isoformat() if selection.end else None)
    return count


# --- Reading -------------------------------------------------------------------------------------


def public_signers(collection_id: int, limit: int = 100) -> list[tuple[str, datetime]]:
    """Names of signers who chose to appear, newest first."""
    from ..accounts.models import User

    rows = db.session.execute(
        select(User.display_name, Signature.created_at).join(User, User.id == Signature.user_id)
        .where(Signature.collection_id == collection_id, Signature.public_name.is_(True),
               Signature.invalidated_at.is_(None), User.deleted_at.is_(None))
        .order_by(Signature.created_at.desc()).limit(limit)).all()
    return [(row.display_name, row.created_at) for row in rows]


def counts_by_neighbourhood(collection_ids) -> dict[int, dict[str, int]]:
    """``{collection_id: {neighbourhood name or "": count}}`` of valid online and paper
    signatures, in two aggregate queries whatever the number of collections."""
    from ..territory.models import Neighbourhood

    ids = list(collection_ids)
    result: dict[int, dict[str, int]] = {cid: {} for cid in ids}
    if not ids:
        return result
    online = db.session.execute(
        select(Signature.collection_id, Neighbourhood.name, func.count(Signature.id))
        .outerjoin(Neighbourhood, Neighbourhood.id == Signature.neighbourhood_id)
        .where(Signature.collection_id.in_(ids), Signature.invalidated_at.is_(None))
        .group_by(Signature.collection_id, Neighbourhood.name)).all()
    paper = db.session.execute(
        select(OfflineSignatureBatch.collection_id, Neighbourhood.name,
               func.sum(OfflineSignatureBatch.count))
        .outerjoin(Neighbourhood, Neighbourhood.id == OfflineSignatureBatch.neighbourhood_id)
        .where(OfflineSignatureBatch.collection_id.in_(ids))
        .group_by(OfflineSignatureBatch.collection_id, Neighbourhood.name)).all()
    for cid, name, count in list(online) + list(paper):
        bucket = result[cid]
        bucket[name or ""] = bucket.get(name or "", 0) + int(count or 0)
    return result


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
        select(key.label("key"), count.label("n"), func.min(Signature.created_at),
               func.max(Signature.created_at))
        .where(Signature.collection_id == collection_id, Signature.invalidated_at.is_(None),
               Signature.user_id.is_not(None))
        .group_by(key).having(count >= minimum).order_by(count.desc(), key).limit(limit)).all()
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
        .group_by(SignatureCollection.id).order_by(recent.desc()).limit(limit)).all()
    return [tuple(row) for row in rows]


def signer_rows(collection: SignatureCollection):
    """Rows of the signer list for officials: every valid online signature, then paper batches."""
    from ..accounts.models import User
    from ..territory.models import Neighbourhood

    stmt = (select(Signature.created_at, User.full_name, User.display_name, User.email,
                   Neighbourhood.name, Signature.public_name)
            .outerjoin(User, User.id == Signature.user_id)
            .outerjoin(Neighbourhood, Neighbourhood.id == Signature.neighbourhood_id)
            .where(Signature.collection_id == collection.id, Signature.invalidated_at.is_(None))
            .order_by(Signature.created_at, Signature.id))
    for row in db.session.execute(stmt).yield_per(500):
        yield ("online", row[0], row[1] or "", row[2] or "", row[3] or "", row[4] or "",
               "yes" if row[5] else "no", 1, "")
    batches = db.session.scalars(select(OfflineSignatureBatch).where(
        OfflineSignatureBatch.collection_id == collection.id).order_by(OfflineSignatureBatch.id))
    names = dict(db.session.execute(select(Neighbourhood.id, Neighbourhood.name)).all())
    for batch in batches:
        yield ("paper", batch.created_at, "", "", "", names.get(batch.neighbourhood_id, ""),
               "no", batch.count, batch.note)


def offline_batches(collection_id: int) -> list[OfflineSignatureBatch]:
    return list(db.session.scalars(select(OfflineSignatureBatch).where(
        OfflineSignatureBatch.collection_id == collection_id)
        .order_by(OfflineSignatureBatch.created_at.desc())))


# --- Maintenance ---------------------------------------------------------------------------------


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
        online = dict(db.session.execute(
            select(Signature.collection_id, func.count(Signature.id))
            .where(Signature.invalidated_at.is_(None)).group_by(Signature.collection_id)).all())
        paper = dict(db.session.execute(
            select(OfflineSignatureBatch.collection_id, func.sum(OfflineSignatureBatch.count))
            .group_by(OfflineSignatureBatch.collection_id)).all())
        for collection in db.session.scalars(for_update(
                select(SignatureCollection).order_by(SignatureCollection.id))):
            for field, actual in (("online_count", online.get(collection.id, 0)),
                                  ("offline_count", int(paper.get(collection.id) or 0))):
                stored = getattr(collection, field)
                if stored != actual:
                    drifts.append(Drift(collection.id, collection.title, field, stored, actual))
                    if fix:
                        setattr(collection, field, actual)
        if drifts and fix:
            audit.record("signatures.recounted", object_type="signature_collection",
                         drifts=[d.__dict__ for d in drifts])
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
        due = list(db.session.scalars(select(SignatureCollection).where(
            SignatureCollection.anonymised_at.is_(None), SignatureCollection.accepting.is_(False),
            SignatureCollection.closes_at.is_not(None), SignatureCollection.closes_at < cutoff)))
        for collection in due:
            db.session.execute(
                update(Signature).where(Signature.collection_id == collection.id)
                .values(user_id=None, ip="", email_domain="", public_name=False)
                .execution_options(synchronize_session=False))
            collection.anonymised_at = utcnow()
            audit.record("signatures.anonymised", collection, months=months)
    return due


def signed_by(user_id: int, object_type: str):
    """``[(collection, signature)]`` the user signed for objects of ``object_type``."""
    return db.session.execute(
        select(SignatureCollection, Signature)
        .join(Signature, Signature.collection_id == SignatureCollection.id)
        .where(Signature.user_id == user_id, SignatureCollection.object_type == object_type)
        .order_by(Signature.created_at.desc())).all()


def forget_public_names(user_id: int) -> None:
    """On account deletion: the signatures still count, the name is no longer shown."""
    db.session.execute(update(Signature).where(Signature.user_id == user_id)
                       .values(public_name=False).execution_options(synchronize_session=False))


__all__ = [
    "AlreadySigned", "Drift", "Signed", "Signer", "InvalidationFilter", "NotEligible", "NotOpen", "SigningError",
    "add_offline", "anonymise_closed", "bursts", "close_collection", "closed_reason",
    "counts_by_neighbourhood", "create_collection", "get_collection", "ineligibility",
    "invalidate", "matching_count", "open_collection", "public_signers", "recount",
    "recent_activity", "sign", "signature_of", "signed_by", "signer_rows",
]
