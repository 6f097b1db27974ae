"""Tables of the signature service (``signature_*``).

The counters on :class:`SignatureCollection` are the numbers shown everywhere (pages,
API, open data) so that reading them never rescans the signatures; every write goes
through :mod:`hub.signatures.services`, which keeps them equal to the rows they count
(``hub signatures recount`` checks it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db


class SignatureCollection(db.Model):
    """The "petition box" of one signable object: its rules, thresholds and counters."""

    __tablename__ = "signature_collection"
    __table_args__ = (UniqueConstraint("object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int] = mapped_column(Integer)
    # Shown on moderation pages and exports, so the core never has to ask the owner.
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    # Who may sign. A confirmed address is required whatever this says (issue 11): kept for
    # the data of earlier collections.
    require_confirmed_email: Mapped[bool] = mapped_column(Boolean, default=True)
    require_verified_resident: Mapped[bool] = mapped_column(Boolean, default=False)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    # When: the owner opens the collection; dates bound it further (None: no bound).
    accepting: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None] = mapped_column(index=True)
    # Exact counters: valid online signatures, and paper signatures entered by agents.
    online_count: Mapped[int] = mapped_column(Integer, default=0)
    offline_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymised_at: Mapped[datetime | None]

    thresholds = relationship(
        "SignatureThreshold",
        lazy="select",
        back_populates="collection",
        order_by="SignatureThreshold.count",
        cascade="all, delete-orphan",
    )

    @property
    def total(self) -> int:
        """Online and paper signatures: a resident who signs on paper counts as much."""
        return self.online_count + self.offline_count

    def next_threshold(self):
        return next((t for t in self.thresholds if t.count > self.total), None)


class SignatureThreshold(db.Model):
    """A number of signatures that triggers ``action`` once (``fired_at`` marks it)."""

    __tablename__ = "signature_threshold"
    __table_args__ = (UniqueConstraint("collection_id", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="CASCADE"), index=True
    )
    count: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(200), default="")
    fired_at: Mapped[datetime | None]

    collection = relationship("SignatureCollection", back_populates="thresholds")

    @property
    def reached(self) -> bool:
        return self.fired_at is not None


class Signature(db.Model):
    """One person's signature. ``user_id`` is emptied by anonymisation, never the row.

    ``ip`` and ``email_domain`` exist for fraud review only (bursts, bulk invalidation)
    and are wiped with the rest of the personal data; ``neighbourhood_id`` is kept as an
    aggregate-only fact for the open-data counts by neighbourhood.
    """

    __tablename__ = "signature"
    __table_args__ = (UniqueConstraint("collection_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    public_name: Mapped[bool] = mapped_column(Boolean, default=False)
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    ip: Mapped[str] = mapped_column(String(64), default="", index=True)
    email_domain: Mapped[str] = mapped_column(String(255), default="", index=True)
    invalidated_at: Mapped[datetime | None] = mapped_column(index=True)
    invalidation_reason: Mapped[str] = mapped_column(String(300), default="")

    user = relationship("User", lazy="joined")

    @property
    def valid(self) -> bool:
        return self.invalidated_at is None


class OfflineSignatureBatch(db.Model):
    """Paper signatures entered by an agent: a count, where they come from, who entered them."""

    __tablename__ = "signature_offline_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="CASCADE"), index=True
    )
    count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entered_by = relationship("User", lazy="joined")
