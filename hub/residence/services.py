"""Matching residents against the census list, and recording verifications.

The census file is read once and dropped: only HMAC-SHA256 hashes of a
normalised key (last name, first name, date of birth) are stored, keyed with the
census key (``CENSUS_KEY``, by default the file ``instance/census_key``), which is
never in the database. The hub can tell whether a resident's own answer matches
an entry, but cannot list who is on the census, and a copy of the database alone
cannot be brute-forced back into names and birth dates.

One census entry verifies one account (:class:`CensusClaim`); a second account
matching the same entry waits for an agent (:class:`ResidenceReview`).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..db import utcnow, write_transaction
from ..extensions import db
from ..slots import ListQuery, list_query
from .models import CensusClaim, CensusEntry, CensusImport, ResidenceReview

HEADER_ALIASES = {
    "last_name": {"nom", "last_name", "nom_de_naissance", "nom_usage", "surname"},
    "first_name": {"prenom", "prenoms", "first_name", "given_name"},
    "birth_date": {"date_naissance", "date_de_naissance", "birth_date", "naissance", "dob"},
}


class CensusFormatError(ValueError):
    """The uploaded file cannot be read as a census list (message shown to the agent)."""


def normalise_name(value: str) -> str:
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    return re.sub(r"[^A-Z0-9]+", " ", text).strip()


def parse_birth_date(value: str) -> date | None:
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def matching_key(last_name: str, first_name: str, birth: date) -> str:
    return f"{normalise_name(last_name)}|{normalise_name(first_name)}|{birth.isoformat()}"


def key_hash(salt: str, key: str) -> str:
    return hmac.new(salt.encode(), key.encode(), hashlib.sha256).hexdigest()


def census_key() -> str:
    return current_app.config["CENSUS_KEY"]


def census_key_id(key: str | None = None) -> str:
    """A fingerprint of the census key: tells which key a list was hashed with."""
    return key_hash(key or census_key(), "hub.census-key-id")[:16]


def entry_hash(census: CensusImport, key: str) -> str:
    """The stored hash of a matching key in ``census``: keyed with the census key (older
    imports: their salted hash, wrapped with the census key)."""
    if census.salt:
        return key_hash(census_key(), key_hash(census.salt, key))
    return key_hash(census_key(), key)


def claim_hash(key: str) -> str:
    """What a :class:`CensusClaim` stores: independent of the import, so claims survive it."""
    return key_hash(census_key(), "claim|" + key)


def _header_map(fieldnames) -> dict[str, str]:
    mapping = {}
    for name in fieldnames or []:
        clean = normalise_name(name).lower().replace(" ", "_")
        for field, aliases in HEADER_ALIASES.items():
            if clean in aliases:
                mapping[field] = name
    missing = set(HEADER_ALIASES) - set(mapping)
    if missing:
        raise CensusFormatError(
            _("Missing columns: %(columns)s.", columns=", ".join(sorted(missing)))
        )
    return mapping


def import_census(raw: bytes, actor) -> CensusImport:
    """Replace the census list with the hashed keys of ``raw`` (CSV, ``;`` or ``,``)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = _header_map(reader.fieldnames)
    secret = census_key()
    hashes: set[str] = set()
    skipped = 0
    for row in reader:
        birth = parse_birth_date(row.get(columns["birth_date"], ""))
        last, first = row.get(columns["last_name"], ""), row.get(columns["first_name"], "")
        if birth is None or not normalise_name(last) or not normalise_name(first):
            skipped += 1
            continue
        hashes.add(key_hash(secret, matching_key(last, first, birth)))
    if not hashes:
        # Replacing the list with nothing would stop every self-check: refuse the file.
        raise CensusFormatError(
            _(
                "No line of this file could be read (%(skipped)d lines skipped): each needs a "
                "last name, a first name and a birth date such as 1980-04-23 or 23/04/1980. "
                "The current census list is kept.",
                skipped=skipped,
            )
        )
    db.session.execute(delete(CensusEntry))
    db.session.execute(delete(CensusImport))
    census = CensusImport(
        imported_by_id=getattr(actor, "id", None),
        salt="",
        key_id=census_key_id(secret),
        entry_count=len(hashes),
        skipped_count=skipped,
    )
    db.session.add(census)
    db.session.flush()
    db.session.execute(
        CensusEntry.__table__.insert(), [{"import_id": census.id, "key_hash": h} for h in hashes]
    )
    audit.record("residence.census_imported", census, entries=len(hashes), skipped=skipped)
    return census


def current_census() -> CensusImport | None:
    return db.session.scalar(_current_census())


@lru_cache(maxsize=1)
def _current_census():
    return select(CensusImport).order_by(CensusImport.id.desc()).limit(1)


_READ = object()


def census_usable(census: CensusImport | None | object = _READ) -> bool:
    """Whether the list can be matched: it exists and was hashed with today's census key.
    ``census``: the current list when the caller has already read it (None: there is none)."""
    if census is _READ:
        census = current_census()
    return census is not None and census.key_id == census_key_id()


def census_matches(last_name: str, first_name: str, birth: date) -> bool:
    census = current_census()
    if not census_usable(census):
        return False
    digest = entry_hash(census, matching_key(last_name, first_name, birth))
    return (
        db.session.scalar(select(CensusEntry.id).where(CensusEntry.key_hash == digest)) is not None
    )


# --- The resident's own check ---------------------------------------------------------------------

FAILED_CHECK = "residence.self_check_failed"
# Failed self-checks agents see on the desk: this many within REPEATED_WINDOW.
REPEATED_FAILURES = 3
REPEATED_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class SelfCheck:
    """The outcome of :func:`self_verify`: ``"verified"``, ``"no_match"`` or ``"review"``."""

    outcome: str


def self_verify(user, last_name: str, first_name: str, birth: date) -> SelfCheck:
    """A resident's own check against the census (in its own write transaction).

    A match verifies the account and claims the entry, unless another active account
    claimed it already: then an agent reviews the request. The verified birth date is the
    census one. Failures are audited (without what was typed), so agents see repeated ones.
    """
    key = matching_key(last_name, first_name, birth)
    with write_transaction():
        if not census_matches(last_name, first_name, birth):
            audit.record(FAILED_CHECK, user, actor=user)
            return SelfCheck("no_match")
        digest = claim_hash(key)
        holder = _claim_holder(digest)
        if holder is None:
            holder = _legacy_holder(user, last_name, first_name, birth, digest)
        if holder is not None and holder != user.id:
            _open_review(user, holder)
            return SelfCheck("review")
        if holder is None:
            try:
                with write_transaction():  # a savepoint: the unique constraint decides races
                    db.session.add(CensusClaim(claim_hash=digest, user_id=user.id))
                    db.session.flush()
            except IntegrityError:
                holder = _claim_holder(digest)
                if holder != user.id:
                    _open_review(user, holder)
                    return SelfCheck("review")
        user.birth_date = birth
        if not user.full_name:
            user.full_name = f"{first_name} {last_name}"
        mark_verified(user, "census", actor=user)
    return SelfCheck("verified")


def _claim_holder(digest: str) -> int | None:
    """The active account that claimed this entry; a deleted account's claim is let go."""
    from ..accounts.models import User

    row = db.session.execute(
        select(CensusClaim.id, CensusClaim.user_id, User.deleted_at)
        .join(User, User.id == CensusClaim.user_id)
        .where(CensusClaim.claim_hash == digest)
    ).first()
    if row is None:
        return None
    if row.deleted_at is not None:
        db.session.execute(delete(CensusClaim).where(CensusClaim.id == row.id))
        db.session.flush()
        return None
    return row.user_id


def candidate_keys(full_name: str, birth: date) -> set[str]:
    """The matching keys an account's full name and birth date can stand for: the name cut
    into first and last names at every word boundary, in both orders."""
    words = normalise_name(full_name).split()
    keys = set()
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        keys.add(matching_key(tail, head, birth))
        keys.add(matching_key(head, tail, birth))
    return keys


def _legacy_holder(user, last_name: str, first_name: str, birth: date, digest: str) -> int | None:
    """An account verified online before claims existed that may hold this entry.

    Such verifications (``census`` method, no claim: migration ``a3f5c7e9b2d4`` linked those
    it could) recorded no entry. One whose full name and birth date give this entry's key is
    its holder: the claim is recorded for it now. One that shares only the name or only the
    birth date may hold it too (its name or birth date could be edited then): an agent looks.
    """
    from ..accounts.models import User

    legacy = db.session.execute(
        select(User.id, User.full_name, User.birth_date).where(
            User.residence_verified_at.is_not(None),
            User.residence_method == "census",
            User.deleted_at.is_(None),
            User.id != user.id,
            ~select(CensusClaim.id).where(CensusClaim.user_id == User.id).exists(),
        )
    ).all()
    key = matching_key(last_name, first_name, birth)
    name = normalise_name(f"{first_name} {last_name}")
    reversed_name = normalise_name(f"{last_name} {first_name}")
    maybe = None
    for row in legacy:
        if row.birth_date is not None and key in candidate_keys(row.full_name, row.birth_date):
            try:
                with write_transaction():
                    db.session.add(CensusClaim(claim_hash=digest, user_id=row.id))
                    db.session.flush()
            except IntegrityError:
                return _claim_holder(digest)
            return row.id
        if maybe is None and (
            row.birth_date == birth or normalise_name(row.full_name) in (name, reversed_name)
        ):
            maybe = row.id
    return maybe


def _open_review(user, holder_id: int | None) -> None:
    existing = db.session.scalar(
        select(ResidenceReview).where(
            ResidenceReview.user_id == user.id, ResidenceReview.resolved_at.is_(None)
        )
    )
    if existing is None:
        review = ResidenceReview(user_id=user.id, other_user_id=holder_id)
        db.session.add(review)
        db.session.flush()
        audit.record(
            "residence.claim_conflict", user, actor=user, review=review.id, other_user=holder_id
        )


def open_review_of(user) -> ResidenceReview | None:
    return db.session.scalar(
        select(ResidenceReview).where(
            ResidenceReview.user_id == user.id, ResidenceReview.resolved_at.is_(None)
        )
    )


def resolve_reviews(user, *, actor, outcome: str, reason: str = "") -> None:
    for review in db.session.scalars(
        select(ResidenceReview).where(
            ResidenceReview.user_id == user.id, ResidenceReview.resolved_at.is_(None)
        )
    ):
        review.resolved_at = utcnow()
        review.resolved_by_id = getattr(actor, "id", None)
        review.outcome = outcome
        audit.record("residence.review_resolved", user, actor=actor, outcome=outcome, reason=reason)


def failed_checks(user_ids=None, since: datetime | None = None) -> dict[int, tuple[int, datetime]]:
    """Failed self-checks per account since ``since``: ``{user_id: (count, last)}``."""
    from ..audit import AuditEntry

    since = since or utcnow() - REPEATED_WINDOW
    query = _failed_checks()
    if user_ids is not None:
        query = query.where(AuditEntry.object_id.in_([str(i) for i in user_ids]))
    rows = db.session.execute(query, {"since": since})
    return {int(oid): (count, last) for oid, count, last in rows}


@lru_cache(maxsize=1)
def _failed_checks():
    """Built once per worker (the residence desk reads it on every visit)."""
    from ..audit import AuditEntry

    return (
        select(AuditEntry.object_id, func.count(), func.max(AuditEntry.created_at))
        .where(
            AuditEntry.action == FAILED_CHECK,
            AuditEntry.object_type == "user",
            AuditEntry.created_at >= bindparam("since"),
        )
        .group_by(AuditEntry.object_id)
    )


def repeated_failures() -> list[tuple]:
    """Unverified active accounts with at least REPEATED_FAILURES failed checks lately,
    most failures first: ``[(user, count, last)]``."""
    counts = {uid: value for uid, value in failed_checks().items() if value[0] >= REPEATED_FAILURES}
    return _repeated(counts)


def _repeated(counts: dict) -> list[tuple]:
    from ..accounts.models import User

    if not counts:
        return []
    users = db.session.scalars(
        select(User)
        .options(selectinload(User.role_rows))
        .where(User.id.in_(counts), User.deleted_at.is_(None), User.residence_verified_at.is_(None))
    ).all()
    rows = [(u, *counts[u.id]) for u in users]
    return sorted(rows, key=lambda r: (-r[1], r[0].id))


def desk_lists() -> dict:
    """The residence desk's lists, read in one statement (``hub.slots.read_lists``), each
    built once per worker: ``reviews``, the open requests to review with both accounts'
    names; ``failures``, the accounts with at least REPEATED_FAILURES failed checks within
    REPEATED_WINDOW (see :func:`repeated_of`); ``census``, the current list."""
    since = {"since": utcnow() - REPEATED_WINDOW}
    return {
        "reviews": ListQuery(*_desk_reviews(), params={}),
        "failures": ListQuery(*_desk_failures(), params=since),
        "census": ListQuery(*_desk_census(), limit=1, params={}),
    }


@list_query
def _desk_reviews():
    from sqlalchemy.orm import aliased

    from ..accounts.models import User

    author, other = aliased(User), aliased(User)
    return (
        select(
            ResidenceReview.user_id,
            author.display_name.label("user_name"),
            author.email.label("user_email"),
            ResidenceReview.other_user_id,
            other.display_name.label("other_name"),
            other.email.label("other_email"),
            other.deleted_at.is_not(None).label("other_deleted"),
            ResidenceReview.created_at,
        )
        .join(author, author.id == ResidenceReview.user_id)
        .outerjoin(other, other.id == ResidenceReview.other_user_id)
        .where(ResidenceReview.resolved_at.is_(None))
    ), (ResidenceReview.created_at, ResidenceReview.id)


@list_query
def _desk_failures():
    from ..audit import AuditEntry

    return (
        select(
            AuditEntry.object_id,
            func.count().label("failures"),
            func.max(AuditEntry.created_at).label("last"),
        )
        .where(
            AuditEntry.action == FAILED_CHECK,
            AuditEntry.object_type == "user",
            AuditEntry.created_at >= bindparam("since"),
        )
        .group_by(AuditEntry.object_id)
        .having(func.count() >= REPEATED_FAILURES)
    ), (AuditEntry.object_id,)


@list_query
def _desk_census():
    return select(
        CensusImport.id, CensusImport.created_at, CensusImport.key_id, CensusImport.entry_count
    ), (CensusImport.id.desc(),)


def repeated_of(failures) -> list[tuple]:
    """:func:`repeated_failures` from the desk's ``failures`` rows (a query for the
    accounts only when there are some)."""
    return _repeated({int(r.object_id): (r.failures, r.last) for r in failures})


def mark_verified(
    user, method: str, *, actor=None, note: str = "", birth_date: date | None = None
) -> None:
    """Record a verified residence (the caller commits) and tell plugins.

    A desk verification records the birth date read on the document: from then on it is
    the one eligibility uses, and only staff change it (:func:`correct_birth_date`).
    """
    if birth_date is not None:
        user.birth_date = birth_date
    user.residence_verified_at = utcnow()
    user.residence_method = method
    user.residence_verified_by_id = getattr(actor, "id", None)
    if user.email_confirmed_at is None and method == "desk":
        user.email_confirmed_at = utcnow()
    audit.record(
        "residence.verified",
        user,
        actor=actor,
        method=method,
        note=note,
        birth_date_checked=method == "census" or birth_date is not None,
    )
    if method == "desk":
        resolve_reviews(user, actor=actor, outcome="verified")
    current_app.extensions["hub"].plugins.hook("hub_on_residence_verified")(
        user=user, method=method
    )


def revoke_verification(user, *, actor, reason: str) -> None:
    """Withdraw a verification; the census entry it used is free again."""
    user.residence_verified_at = None
    user.residence_method = ""
    user.residence_verified_by_id = None
    release_claim(user)
    audit.record("residence.revoked", user, actor=actor, reason=reason)


def release_claim(user) -> None:
    """Let go of the census entry ``user`` claimed (withdrawn verification, deleted account)."""
    db.session.execute(delete(CensusClaim).where(CensusClaim.user_id == user.id))


def correct_birth_date(user, birth: date, *, actor, note: str) -> None:
    """Staff correct a verified birth date (the resident cannot once it is verified)."""
    user.birth_date = birth
    audit.record("residence.birth_date_corrected", user, actor=actor, note=note)
