"""One reasoned answer to one registered object."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db


class Answer(db.Model):
    """``target`` is what is answered (for a project: the project, with the answered
    contributions pointing here); ``outcome`` is the owner's word for the decision it carries
    (``retained``, ``not_retained``… or empty)."""

    __tablename__ = "answer"
    __table_args__ = (Index("ix_answer_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(30), default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User", lazy="joined")
