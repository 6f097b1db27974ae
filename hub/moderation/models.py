"""Reports of residents and the moderators' decisions."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db

REASONS = {
    "insult": _l("Insulting or aggressive"),
    "harassment": _l("Harassment or discrimination"),
    "personal_data": _l("Personal data of someone"),
    "defamation": _l("Defamation"),
    "spam": _l("Advertising or spam"),
    "illegal": _l("Illegal content"),
    "other": _l("Something else"),
}


class Report(db.Model):
    """One resident's report of one object: a second report by the same person is refused
    by the unique constraint."""

    __tablename__ = "moderation_report"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "reporter_id"),
        Index("ix_moderation_report_open", "resolved_at", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(30))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="")

    reporter = relationship("User", foreign_keys=[reporter_id])


class Decision(db.Model):
    """What moderation decided about one object: hidden (with its public reason) or not, and
    the author's single appeal with the second moderator's answer."""

    __tablename__ = "moderation_decision"
    __table_args__ = (UniqueConstraint("target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # Pre-moderation: the text waits, hidden, until a moderator approves (or hides) it.
    # A held text refused by its feature's own review before any moderator read it stays
    # hidden without a reason (``settled``, see services.settle).
    pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    reason: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    appeal_text: Mapped[str] = mapped_column(Text, default="")
    appealed_at: Mapped[datetime | None]
    appeal_moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    appeal_decided_at: Mapped[datetime | None]
    appeal_outcome: Mapped[str] = mapped_column(String(20), default="")
    appeal_reason: Mapped[str] = mapped_column(Text, default="")

    moderator = relationship("User", foreign_keys=[moderator_id])
    appeal_moderator = relationship("User", foreign_keys=[appeal_moderator_id])

    @property
    def settled(self) -> bool:
        """Withheld by the feature's own review while it waited for pre-moderation: never
        read by a moderator, so never published; no moderation reason and no appeal (a
        moderator's hiding always carries its reason)."""
        return self.hidden and not self.pending and not self.reason

    @property
    def appeal_pending(self) -> bool:
        return self.appealed_at is not None and self.appeal_decided_at is None
