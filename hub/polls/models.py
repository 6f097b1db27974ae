"""Polls, their options, who voted and the anonymous ballots."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db

KINDS = {"single": _l("One answer"), "multiple": _l("Several answers")}
AUDIENCES = {"verified": _l("Verified residents"), "everyone": _l("Every account")}


class Poll(db.Model):
    __tablename__ = "poll"
    __table_args__ = (Index("ix_poll_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    question: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="single")
    audience: Mapped[str] = mapped_column(String(20), default="verified")
    target_type: Mapped[str] = mapped_column(String(60), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]

    options = relationship(
        "PollOption",
        order_by="PollOption.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    def is_open(self, now: datetime | None = None) -> bool:
        return self.closed_at is None and (now or utcnow()) < self.closes_at


class PollOption(db.Model):
    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class PollVoter(db.Model):
    """Who voted: the primary key makes a second vote impossible. No time, no choice."""

    __tablename__ = "poll_voter"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )


class PollChoice(db.Model):
    """One chosen option of one anonymous ballot (no link to the voter)."""

    __tablename__ = "poll_choice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    ballot: Mapped[str] = mapped_column(String(36), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_option.id", ondelete="CASCADE"))
