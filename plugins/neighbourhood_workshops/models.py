"""Workshops, their facilitators, and the proposals of their minutes sent to a project."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
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

from hub.plugin import Image, db, utcnow

KINDS = ("neighbourhood", "city", "project")

workshop_neighbourhood = Table(
    "neighbourhood_workshops_workshop_neighbourhood",
    db.metadata,
    Column(
        "workshop_id",
        ForeignKey("neighbourhood_workshops_workshop.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhood.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


class Workshop(db.Model):
    """An atelier de quartier (some neighbourhoods), an atelier ville (the whole commune) or an
    atelier de projet (a project of the hub, with its budget line)."""

    __tablename__ = "neighbourhood_workshops_workshop"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_uuid)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    charter: Mapped[str] = mapped_column(Text, default="")
    how_to_join: Mapped[str] = mapped_column(Text, default="")
    host_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("body.id", ondelete="SET NULL"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), index=True
    )
    budget_line: Mapped[str] = mapped_column(String(200), default="")
    budget_amount: Mapped[int | None] = mapped_column(Integer)
    cover_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("image.id", ondelete="SET NULL"), index=True
    )
    cover_image = relationship(Image, lazy="joined")
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    neighbourhoods = relationship(
        "Neighbourhood",
        secondary=workshop_neighbourhood,
        lazy="selectin",
        order_by="Neighbourhood.name",
    )
    host_body = relationship("Body", lazy="joined")
    project = relationship("Project", lazy="joined")
    facilitators = relationship(
        "Facilitator", lazy="selectin", cascade="all, delete-orphan", order_by="Facilitator.user_id"
    )


class Facilitator(db.Model):
    """Someone who runs the workshop's sessions (and writes their minutes)."""

    __tablename__ = "neighbourhood_workshops_facilitator"

    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhood_workshops_workshop.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    user = relationship("User", lazy="joined")


class Proposal(db.Model):
    """A proposal of a session's minutes sent to the workshop's project as a contribution
    (one per item of the minutes' proposals; the contribution carries its status and
    reasoned answer)."""

    __tablename__ = "neighbourhood_workshops_proposal"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position", name="uq_neighbourhood_workshops_proposal"),
        Index("ix_neighbourhood_workshops_proposal_workshop", "workshop_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("neighbourhood_workshops_workshop.id", ondelete="CASCADE")
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL")
    )
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    contribution = relationship("Contribution", lazy="joined")
