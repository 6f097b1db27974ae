"""A draw among contributions: its frozen register, the announced seed rule, the result."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db


class Lot(db.Model):
    """Announced (register and seed rule frozen), then drawn once with the public seed."""

    __tablename__ = "lot_draw"
    __table_args__ = (Index("ix_lot_draw_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    seats: Mapped[int] = mapped_column(Integer)
    # Public register: [{"key": contribution uuid, "category": ""}], in the contributions' order.
    rows: Mapped[list] = mapped_column(JSON, default=list)
    register_sha256: Mapped[str] = mapped_column(String(64))
    seed_source: Mapped[str] = mapped_column(Text)
    seed_count: Mapped[int] = mapped_column(Integer)
    not_before: Mapped[datetime]
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    seed: Mapped[str | None] = mapped_column(String(500))
    seed_as_entered: Mapped[str | None] = mapped_column(String(500))
    selected: Mapped[list | None] = mapped_column(JSON)
    drawn_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    announced_by = relationship("User", foreign_keys=[announced_by_id])

    @property
    def drawn(self) -> bool:
        return self.drawn_at is not None
