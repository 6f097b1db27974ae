"""Collections and signing: opening and closing a collection, who may sign, signing and paper
entries, thresholds fired once.

Writes run in :func:`hub.db.write_transaction` with the collection row locked
(``BEGIN IMMEDIATE`` on SQLite; ``SELECT ... FOR UPDATE`` on PostgreSQL), so signers
of one collection are serialised: the duplicate check, the insert, the counter and the
threshold markers are decided by one writer at a time. The unique constraint on
``(collection_id, user_id)`` is the backstop if a caller ever skips the lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import lazyload

from ... import audit
from ...accounts.models import User
from ...db import is_sqlite, utcnow, write_transaction
from ...extensions import db
from ..models import OfflineSignatureBatch, Signature, SignatureCollection, SignatureThreshold


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


class NotSigned(SigningError):
    status = 404


# --- Collections -------------------------------------------------------------------------------


def create_collection(
    object_type: str,
    object_id: int,
    *,
    title: str = "",
    url: str = "",
    require_confirmed_email: bool = True,
    require_verified_resident: bool = False,
    minimum_age: int | None = None,
    thresholds=(),
) -> SignatureCollection:
    """Add a collection for an object (the caller commits). ``thresholds`` holds
    ``(count, action, label)`` triples; ``action`` names what the owner does when reached."""
    collection = SignatureCollection(
        object_type=object_type,
        object_id=object_id,
        title=title,
        url=url,
        require_confirmed_email=require_confirmed_email,
        require_verified_resident=require_verified_resident,
        minimum_age=minimum_age,
    )
    for count, action, label in thresholds:
        collection.thresholds.append(
            SignatureThreshold(count=int(count), action=action, label=str(label))
        )
    db.session.add(collection)
    db.session.flush()
    return collection


def get_collection(object_type: str, object_id: int) -> SignatureCollection | None:
    return db.session.scalar(
        select(SignatureCollection).where(
            SignatureCollection.object_type == object_type,
            SignatureCollection.object_id == object_id,
        )
    )


def open_collection(
    collection: SignatureCollection,
    *,
    closes_at: datetime | None = None,
    opens_at: datetime | None = None,
) -> None:
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


def paper_refusal(collection: SignatureCollection, now: datetime | None = None):
    """A :class:`RuleError` when paper signatures cannot be added to ``collection`` now
    (not open yet, or closed: its count is final), else None."""
    from ...errors import RuleError

    reason = closed_reason(collection, now)
    if reason is None:
        return None
    if reason.code == "not_open":
        message = _("Signatures are not open yet: paper signatures can be added once they open.")
    else:
        message = _(
            "Signatures are closed: no paper signature can be added any more, the count is final."
        )
    return RuleError(message, field="count", code=f"paper_{reason.code}")


def ineligibility(collection: SignatureCollection, user, now: datetime | None = None):
    """A :class:`NotEligible` error saying why ``user`` may not sign, or None."""
    now = now or utcnow()
    if user is None or not getattr(user, "is_authenticated", False):
        return NotEligible("login_required", _("Log in to sign."))
    # Whatever the collection says: a signature must never come from an unproven address.
    if not user.email_confirmed:
        return NotEligible(
            "email_not_confirmed",
            _("Confirm your email address to sign (see the link we sent you)."),
        )
    if collection.require_verified_resident and not user.residence_verified:
        return NotEligible(
            "residence_not_verified", _("Only residents whose residence is verified may sign.")
        )
    if collection.minimum_age:
        age = user.age_on(now.date())
        if age is None:
            return NotEligible(
                "age_unknown",
                _(
                    "Signing requires a minimum age of %(age)d: add your date of birth to your "
                    "profile.",
                    age=collection.minimum_age,
                ),
            )
        if age < collection.minimum_age:
            return NotEligible(
                "too_young",
                _("You must be at least %(age)d years old to sign.", age=collection.minimum_age),
            )
    return None


def signature_of(collection_id: int, user_id: int | None) -> Signature | None:
    if user_id is None:
        return None
    return db.session.scalar(_signature_of(), {"collection_id": collection_id, "user_id": user_id})


@lru_cache(maxsize=1)
def _signature_of():
    """Built once per worker: every signing box asks it for a logged-in visitor."""
    return select(Signature).where(
        Signature.collection_id == bindparam("collection_id"),
        Signature.user_id == bindparam("user_id"),
    )


# --- Writes --------------------------------------------------------------------------------------


def _locked(collection_id: int) -> SignatureCollection:
    """The collection, re-read under the write lock (row lock on PostgreSQL)."""
    collection = db.session.scalar(_locked_query(is_sqlite()), {"collection_id": collection_id})
    if collection is None:
        raise LookupError(collection_id)
    return collection


@lru_cache(maxsize=2)
def _locked_query(sqlite: bool):
    query = (
        select(SignatureCollection)
        .where(SignatureCollection.id == bindparam("collection_id"))
        .options(lazyload(SignatureCollection.thresholds))
        .execution_options(populate_existing=True)
    )
    return query if sqlite else query.with_for_update()


def _fire_thresholds(collection: SignatureCollection, total: int) -> list[SignatureThreshold]:
    """Mark and dispatch every threshold ``total`` reached, in the caller's transaction.

    The collection row is locked, so exactly one transaction sees each threshold unfired.
    Invalidations lower the count but never un-fire a threshold: its action has happened.
    """
    reached = db.session.scalars(
        select(SignatureThreshold)
        .where(
            SignatureThreshold.collection_id == collection.id,
            SignatureThreshold.fired_at.is_(None),
            SignatureThreshold.count <= total,
        )
        .order_by(SignatureThreshold.count)
        .execution_options(populate_existing=True)
    ).all()
    if not reached:
        return reached
    db.session.refresh(collection)  # owners see the counters as they are now
    hook = current_app.extensions["hub"].plugins.hook("hub_on_threshold_reached")
    for threshold in reached:
        threshold.fired_at = utcnow()
        audit.record(
            "signatures.threshold_reached",
            collection,
            threshold_action=threshold.action,
            threshold=threshold.count,
            total=total,
        )
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
        return cls(
            user.id,
            user.email,
            user.email_confirmed,
            user.residence_verified,
            user.birth_date,
            user.neighbourhood_id,
        )

    def age_on(self, day):
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
    next_threshold = (
        select(func.min(SignatureThreshold.count))
        .where(
            SignatureThreshold.collection_id == bindparam("collection_id"),
            SignatureThreshold.fired_at.is_(None),
        )
        .scalar_subquery()
    )
    return (
        update(SignatureCollection)
        .where(SignatureCollection.id == bindparam("collection_id"))
        .values(online_count=SignatureCollection.online_count + 1)
        .returning(
            SignatureCollection.online_count + SignatureCollection.offline_count, next_threshold
        )
        .execution_options(synchronize_session=False)
    )


@lru_cache(maxsize=2)
def _insert_once(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING on (collection_id, user_id) RETURNING id: no row when
    already signed. Built once per dialect; the values come as parameters."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return (
        insert(Signature)
        .on_conflict_do_nothing(index_elements=["collection_id", "user_id"])
        .returning(Signature.id)
    )


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
        inserted = connection.execute(
            _insert_once(connection.dialect.name),
            dict(
                collection_id=collection.id,
                user_id=signer.id,
                public_name=bool(public_name),
                neighbourhood_id=signer.neighbourhood_id,
                ip=(ip or "")[:64],
                email_domain=signer.email.rpartition("@")[2][:255],
                created_at=utcnow(),
                invalidation_reason="",
            ),
        ).first()
        if inserted is None:
            raise AlreadySigned("already_signed", _("You have already signed."))
        total, next_threshold = db.session.execute(
            _count_one_more(), {"collection_id": collection.id}
        ).one()
        if next_threshold is not None and total >= next_threshold:
            _fire_thresholds(collection, total)
    return Signed(collection_id, signer.id, total)


def withdraw(collection_id: int, user) -> int:
    """Withdraw ``user``'s signature while the collection is open (RGAA 11.12: a signature,
    a legal act, can be undone): the row goes and the counter drops by one; a threshold
    already reached stays reached, its action has happened. Returns the new total.

    A signature invalidated by moderation stays, as the record of that decision.
    """
    with write_transaction():
        collection = _locked(collection_id)
        refusal = closed_reason(collection)
        if refusal:
            raise refusal
        signature = signature_of(collection.id, user.id)
        if signature is None or signature.invalidated_at is not None:
            raise NotSigned("not_signed", _("You have no signature here to withdraw."))
        db.session.delete(signature)
        collection.online_count -= 1
        audit.record("signatures.withdrawn", collection, actor=user)
        total = collection.online_count + collection.offline_count
    return total


def set_public_name(collection_id: int, user, public: bool) -> None:
    """Show or hide ``user``'s name in the public list of signers while the collection is
    open; the signature itself is unchanged."""
    with write_transaction():
        collection = _locked(collection_id)
        refusal = closed_reason(collection)
        if refusal:
            raise refusal
        signature = signature_of(collection.id, user.id)
        if signature is None:
            raise NotSigned("not_signed", _("You have not signed here."))
        signature.public_name = bool(public)


def add_offline(
    collection_id: int, count: int, *, actor, note: str = "", neighbourhood_id: int | None = None
) -> OfflineSignatureBatch:
    """Enter paper signatures collected by the commune; counted apart, audited.

    Only while the collection is open: once it is closed its count is final (it may have
    been published, answered or decided on), so no late batch can change it.
    """
    if count <= 0:
        raise ValueError("count must be positive")
    with write_transaction():
        collection = _locked(collection_id)
        refusal = paper_refusal(collection)
        if refusal is not None:
            raise refusal
        batch = OfflineSignatureBatch(
            collection_id=collection.id,
            count=count,
            note=note,
            neighbourhood_id=neighbourhood_id,
            entered_by_id=getattr(actor, "id", None),
        )
        db.session.add(batch)
        collection.offline_count += count
        db.session.flush()
        audit.record(
            "signatures.offline_added",
            collection,
            actor=actor,
            count=count,
            note=note,
            batch=batch.id,
        )
        _fire_thresholds(collection, collection.total)
    return batch
