"""Matching residents against the census list, and recording verifications.

The census file is read once and dropped: only HMAC-SHA256 hashes of a
normalised key (last name, first name, date of birth) are stored, with a
random salt per import. The hub can tell whether a resident's own answer
matches an entry, but cannot list who is on the census.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
import unicodedata
from datetime import date, datetime

from flask import current_app
from sqlalchemy import delete, func, select

from .. import audit
from ..db import utcnow
from ..extensions import db
from .models import CensusEntry, CensusImport

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


def _header_map(fieldnames) -> dict[str, str]:
    mapping = {}
    for name in fieldnames or []:
        clean = normalise_name(name).lower().replace(" ", "_")
        for field, aliases in HEADER_ALIASES.items():
            if clean in aliases:
                mapping[field] = name
    missing = set(HEADER_ALIASES) - set(mapping)
    if missing:
        raise CensusFormatError(", ".join(sorted(missing)))
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
    salt = secrets.token_hex(32)
    hashes: set[str] = set()
    skipped = 0
    for row in reader:
        birth = parse_birth_date(row.get(columns["birth_date"], ""))
        last, first = row.get(columns["last_name"], ""), row.get(columns["first_name"], "")
        if birth is None or not normalise_name(last) or not normalise_name(first):
            skipped += 1
            continue
        hashes.add(key_hash(salt, matching_key(last, first, birth)))
    db.session.execute(delete(CensusEntry))
    db.session.execute(delete(CensusImport))
    census = CensusImport(imported_by_id=getattr(actor, "id", None), salt=salt,
                          entry_count=len(hashes), skipped_count=skipped)
    db.session.add(census)
    db.session.flush()
    db.session.execute(CensusEntry.__table__.insert(),
                       [{"import_id": census.id, "key_hash": h} for h in hashes])
    audit.record("residence.census_imported", census, entries=len(hashes), skipped=skipped)
    return census


def current_census() -> CensusImport | None:
    return db.session.scalar(select(CensusImport).order_by(CensusImport.id.desc()).limit(1))


def census_matches(last_name: str, first_name: str, birth: date) -> bool:
    census = current_census()
    if census is None:
        return False
    digest = key_hash(census.salt, matching_key(last_name, first_name, birth))
    return db.session.scalar(select(CensusEntry.id).where(CensusEntry.key_hash == digest)) is not None


def count_verified_residents() -> int:
    """Verified residents with an active account: what thresholds of other processes count."""
    from ..accounts.models import User

    return db.session.scalar(select(func.count(User.id)).where(
        User.residence_verified_at.is_not(None), User.deleted_at.is_(None))) or 0


def mark_verified(user, method: str, *, actor=None, note: str = "") -> None:
    """Record a verified residence (the caller commits) and tell plugins."""
    user.residence_verified_at = utcnow()
    user.residence_method = method
    user.residence_verified_by_id = getattr(actor, "id", None)
    if user.email_confirmed_at is None and method == "desk":
        user.email_confirmed_at = utcnow()
    audit.record("residence.verified", user, actor=actor, method=method, note=note)
    current_app.extensions["hub"].plugins.hook("hub_on_residence_verified")(user=user,
                                                                            method=method)


def revoke_verification(user, *, actor, reason: str) -> None:
    user.residence_verified_at = None
    user.residence_method = ""
    user.residence_verified_by_id = None
    audit.record("residence.revoked", user, actor=actor, reason=reason)
