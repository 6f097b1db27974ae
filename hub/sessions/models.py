"""A session (meeting) at a date and place or online, its registrations (with a waiting list),
attendance and minutes (compte-rendu) with their versions and amendments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db

meeting_neighbourhood = Table(
    "meeting_neighbourhood",
    db.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhood.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

MODES = ("in_person", "online", "hybrid")
# Structured accessibility of a session's place (shown as a list, searchable, in JSON-LD).
ACCESS_FEATURES = ("step_free", "hearing_loop", "sign_language", "easy_read", "childcare")
# The compte-rendu's written sections, in the order of the seed's structure (date, time,
# place and attendance come from the session itself).
MINUTES_SECTIONS = ("objectives", "method", "synthesis", "questions", "proposals", "next_agenda")
MINUTES_STATUSES = ("draft", "review", "approved", "published")


class Meeting(db.Model):
    """A session. Times are local wall-clock times of the hub (``TIMEZONE``), stored naive.

    ``target`` is the registered object the session belongs to (a relay, a workshop, a body…;
    empty for a session of its own such as a council sitting, whose ``target_type`` then
    names its series); ``organiser`` is the registered object that holds it (usually a local
    body). Who may organise it is asked of both through the registry.
    """

    __tablename__ = "meeting"
    __table_args__ = (
        Index("ix_meeting_target", "target_type", "target_id"),
        Index("ix_meeting_organiser", "organiser_type", "organiser_id"),
    )

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
    # ``online``: the session has an online part; ``mode`` says whether it is only online
    # or hybrid (None on rows written before modes existed: see ``attendance_mode``).
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str | None] = mapped_column(String(12))
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    accessibility: Mapped[str] = mapped_column(Text, default="")
    access_features: Mapped[list] = mapped_column(JSON, default=list)
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Seats kept for people registered by an agent or a body member (phone, paper).
    reserved_seats: Mapped[int] = mapped_column(Integer, default=0)
    registrations_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # Everyone present: registered people checked in, named walk-ins and the headcount.
    attendance_count: Mapped[int | None] = mapped_column(Integer)
    extra_attendees: Mapped[int] = mapped_column(Integer, default=0)
    # The compte-rendu (current text): date, place and attendance come from the session.
    minutes_objectives: Mapped[str] = mapped_column(Text, default="")
    minutes_method: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_questions: Mapped[str] = mapped_column(Text, default="")
    minutes_proposals: Mapped[str] = mapped_column(Text, default="")
    minutes_next_agenda: Mapped[str] = mapped_column(Text, default="")
    minutes_status: Mapped[str] = mapped_column(String(12), default="")
    minutes_version: Mapped[int] = mapped_column(Integer, default=0)
    minutes_review_until: Mapped[datetime | None]
    minutes_approved_at: Mapped[datetime | None]
    minutes_approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    minutes_published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # iCal: SEQUENCE, bumped on every change calendars must pick up.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    previous_starts_at: Mapped[datetime | None]
    registrations_purged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )

    neighbourhoods = relationship(
        "Neighbourhood",
        secondary=meeting_neighbourhood,
        lazy="selectin",
        order_by="Neighbourhood.name",
    )

    @property
    def target_ref(self) -> tuple[str, int | None]:
        return self.target_type, self.target_id

    @property
    def organiser_ref(self) -> tuple[str, int | None]:
        return self.organiser_type, self.organiser_id

    @property
    def attendance_mode(self) -> str:
        """``in_person``, ``online`` or ``hybrid``."""
        if self.mode in MODES:
            return self.mode
        if self.online:
            return "hybrid" if self.place else "online"
        return "in_person"

    @property
    def has_minutes(self) -> bool:
        return bool(
            self.minutes_objectives
            or self.minutes_method
            or self.minutes
            or self.minutes_next_agenda
            or self.minutes_questions
            or self.minutes_proposals
        )

    @property
    def minutes_sections(self) -> dict[str, str]:
        return {
            "objectives": self.minutes_objectives,
            "method": self.minutes_method,
            "synthesis": self.minutes,
            "questions": self.minutes_questions,
            "proposals": self.minutes_proposals,
            "next_agenda": self.minutes_next_agenda,
        }

    @property
    def public_seats(self) -> int | None:
        """Seats residents may take themselves (the capacity less the reserved seats)."""
        if self.capacity is None:
            return None
        return max(self.capacity - (self.reserved_seats or 0), 0)

    @property
    def where(self) -> str:
        if self.online:
            return self.place or "En ligne"
        return self.place


class MeetingRegistration(db.Model):
    """A person registered for a session, or waiting for a seat.

    Residents register themselves (``user``); an agent or a body member may register
    someone by phone or on paper (``channel``, ``entered_by``), with or without an account
    (``name`` and ``contact`` then). One registration per account and session (unique
    constraint). The waiting list is the ``waitlisted`` rows in arrival order (``id``,
    allocated while the session row is locked).
    """

    __tablename__ = "meeting_registration"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_meeting_registration_user"),
        Index("ix_meeting_registration_queue", "meeting_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="registered")
    channel: Mapped[str] = mapped_column(String(12), default="online")
    name: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    public_name: Mapped[bool] = mapped_column(Boolean, default=False)
    checkin_code: Mapped[str | None] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    attended: Mapped[bool | None] = mapped_column(Boolean)
    checked_in_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])

    @property
    def shown_name(self) -> str:
        if self.user is not None:
            return self.user.display_name
        return self.name


class MeetingWalkIn(db.Model):
    """Someone who came without registering and gave a name (the others are a headcount)."""

    __tablename__ = "meeting_walk_in"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class MinutesVersion(db.Model):
    """One saved state of a session's minutes: every version is kept and can be compared."""

    __tablename__ = "meeting_minutes_version"
    __table_args__ = (UniqueConstraint("meeting_id", "number", name="uq_meeting_minutes_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    sections: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    created_by = relationship("User")


class MinutesAmendment(db.Model):
    """A participant's comment on the draft minutes, or a change they propose to a section."""

    __tablename__ = "meeting_minutes_amendment"
    __table_args__ = (Index("ix_meeting_minutes_amendment_meeting", "meeting_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    proposed_text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="open")
    reply: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    author = relationship("User", foreign_keys=[author_id])
