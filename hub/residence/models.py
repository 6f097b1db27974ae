"""The census list, kept only as keyed hashes of its matching keys; which account used which
entry; and the verifications waiting for an agent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db


class CensusImport(db.Model):
    """One upload of the census list; the newest replaces the previous ones."""

    __tablename__ = "census_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Imports made before the census key existed: their hashes were keyed with this salt,
    # then wrapped with the census key (migration 7d3c2f1a9b40). Empty for newer imports.
    salt: Mapped[str] = mapped_column(String(64), default="")
    # Which census key the hashes were made with (a fingerprint, never the key).
    key_id: Mapped[str] = mapped_column(String(16), default="")
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)


class CensusEntry(db.Model):
    __tablename__ = "census_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("census_import.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)


class CensusClaim(db.Model):
    """A census entry that verified an account: one entry verifies one account.

    Keyed by its own hash of the matching key (not the entry's row), so a claim outlives a
    new import of the list. The unique constraints decide a race between two accounts.
    """

    __tablename__ = "census_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResidenceReview(db.Model):
    """A self-check an agent must look at: the census entry it matched already verified
    another account. Resolved by a desk verification or dismissed with a reason."""

    __tablename__ = "residence_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The account that holds the census entry (None once it is deleted).
    other_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(20), default="")  # "verified" | "dismissed"

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    other_user = relationship("User", foreign_keys=[other_user_id], lazy="joined")
