"""A session (meeting) at a date and place or online, its registrations and attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db

meeting_neighbourhood = Table(
    "meeting_neighbourhood", db.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhood.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)

class Meeting(db.Model):
    """A session. Times are local wall-clock times of the hub (``TIMEZONE``), stored naive.

    ``target`` is the registered object the session belongs to (a relay, a workshop, a body…;
    empty for a session of its own such as a council sitting, whose ``target_type`` then
    names its series); ``organiser`` is the registered object that holds it (usually a local
    body). Who may organise it is asked of both through the registry.
    """

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_target", "target_type", "target_id"),
                      Index("ix_meeting_organiser", "organiser_type", "organiser_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    target_type: Mapped[str] = mapped_column(String(60), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    organiser_type: Mapped[str] = mapped_column(String(60), default="")
    organiser_id: Mapped[int | None] = mapped_column(Integer)
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

    @property
    def target_ref(self) -> tuple[str, int | None]:
        return self.target_type, self.target_id

    @property
    def organiser_ref(self) -> tuple[str, int | None]:
        return self.organiser_type, self.organiser_id

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
