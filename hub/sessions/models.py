"""A session (meeting) at a date and place or online, its registrations and attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db

meeting_neighbourhood = Table(
    "meeting_neighbourhood", db.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhood.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)

KINDS = ("relay", "workshop", "council", "other")


class Meeting(db.Model):
    """A session. Times are local wall-clock times of the hub (``TIMEZONE``), stored naive."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_context", "context_type", "context_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default="other", index=True)
    context_type: Mapped[str] = mapped_column(String(40), default="")
    context_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"),
                                                index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    accessibility: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    registrations_open: Mapped[bool] = mapped_column(Boolean, default=False)
    attendance_count: Mapped[int | None] = mapped_column(Integer)
    # The compte-rendu: date, place and attendance come from the session itself; ``minutes``
    # holds the synthesis of the discussions.
    minutes_objectives: Mapped[str] = mapped_column(Text, default="")
    minutes_method: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_next_agenda: Mapped[str] = mapped_column(Text, default="")
    minutes_published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                      index=True)

    neighbourhoods = relationship("Neighbourhood", secondary=meeting_neighbourhood,
                                  lazy="selectin", order_by="Neighbourhood.name")
    body = relationship("Body", lazy="joined")

    @property
    def has_minutes(self) -> bool:
        return bool(self.minutes_objectives or self.minutes_method or self.minutes
                    or self.minutes_next_agenda)

    @property
    def where(self) -> str:
        if self.online:
            return self.place or "En ligne"
        return self.place


class MeetingRegistration(db.Model):
    """A resident registered for a session; the primary key makes a second registration of
    the same person impossible."""

    __tablename__ = "meeting_registration"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attended: Mapped[bool | None] = mapped_column(Boolean)

    user = relationship("User")
