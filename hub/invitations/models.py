"""Invitations waiting for their answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db


class Invitation(db.Model):
    """An account asked to take ``role`` on the registered object ``(target_type,
    target_id)``; ``ref_id`` names the place when the object has several (a membership row),
    0 otherwise. Answered invitations are deleted (the audit log keeps the answer)."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint(
            "target_type", "target_id", "role", "ref_id", "user_id", name="uq_invitation_place"
        ),
        Index("ix_invitation_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(40))
    ref_id: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
