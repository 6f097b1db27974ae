"""Comments and the state of each object's discussion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db

MAX_LENGTH = 4000


class Comment(db.Model):
    """A comment on a registered object; ``parent_id`` makes it a reply (one level only)."""

    __tablename__ = "comment"
    __table_args__ = (
        Index("ix_comment_target", "target_type", "target_id"),
        Index("ix_comment_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]

    author = relationship("User", foreign_keys=[author_id], lazy="joined")

    @property
    def shown_author(self) -> str:
        if self.author is not None and self.author.is_active:
            return self.author.display_name
        return ""


class CommentThread(db.Model):
    """A discussion closed by the people who manage its object (absent: open)."""

    __tablename__ = "comment_thread"

    target_type: Mapped[str] = mapped_column(String(60), primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
