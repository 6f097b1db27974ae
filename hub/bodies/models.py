"""Local bodies, their members (with roles and mandates) and draws by lot."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db
from ..timeutil import local_today

body_neighbourhood = Table(
    "body_neighbourhood",
    db.metadata,
    Column("body_id", ForeignKey("body.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhood.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

# Member roles and what each lets a member do for the body.
ROLES = ("president", "secretary", "member", "facilitator", "referent_elected", "referent_agent")
CAPABILITIES = {
    # edit the public page, sessions and relay reports; answer relay invitations
    "edit": {"president", "secretary", "facilitator", "referent_agent"},
    "act": {"president", "secretary", "facilitator", "referent_agent"},
    # add, change or end memberships
    "members": {"president", "referent_agent"},
    # enter contributions gathered on paper or at a relay session
    "contribute": {"president", "secretary", "facilitator", "member", "referent_agent"},
}


class Body(db.Model):
    __tablename__ = "body"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(120), index=True)
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_info: Mapped[str] = mapped_column(String(500), default="")
    meeting_cadence: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    commune = relationship("Commune", lazy="joined")
    neighbourhoods = relationship(
        "Neighbourhood",
        secondary=body_neighbourhood,
        lazy="selectin",
        order_by="Neighbourhood.name",
    )
    members = relationship(
        "BodyMember",
        back_populates="body",
        lazy="select",
        order_by="BodyMember.id",
        cascade="all, delete-orphan",
    )

    def active_members(self, day: date | None = None) -> list[BodyMember]:
        day = day or local_today()
        return [m for m in self.members if m.active_on(day)]


class BodyMember(db.Model):
    __tablename__ = "body_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30), default="member")
    mandate_start: Mapped[date | None]
    mandate_end: Mapped[date | None]
    draw_id: Mapped[int | None] = mapped_column(
        ForeignKey("body_draw.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    body = relationship("Body", back_populates="members")
    user = relationship("User", lazy="joined", foreign_keys=[user_id])

    def active_on(self, day: date) -> bool:
        return (self.mandate_start is None or self.mandate_start <= day) and (
            self.mandate_end is None or self.mandate_end >= day
        )


class Draw(db.Model):
    """A draw by lot: inputs frozen and published when announced, then drawn with the seed."""

    __tablename__ = "body_draw"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    algorithm: Mapped[str] = mapped_column(String(60))
    seats: Mapped[int] = mapped_column(Integer)
    quota_column: Mapped[str] = mapped_column(String(100), default="")
    quotas: Mapped[dict] = mapped_column(JSON, default=dict)
    # Published: [{"key": ..., "category": ...}] in register order. Names stay private.
    rows: Mapped[list] = mapped_column(JSON, default=list)
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    register_sha256: Mapped[str] = mapped_column(String(64))
    seed_source: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime]
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    seed: Mapped[str | None] = mapped_column(String(500))
    # Fixed at announcement (docs/draw-by-lot.md): the seed's canonical form and how many
    # numbers it has; empty for draws announced before seed formats existed.
    seed_format: Mapped[str] = mapped_column(String(40), default="")
    seed_count: Mapped[int | None] = mapped_column(Integer)
    seed_as_entered: Mapped[str | None] = mapped_column(String(500))
    drawn_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    selected: Mapped[list] = mapped_column(JSON, default=list)
    mandate_start: Mapped[date | None]
    mandate_end: Mapped[date | None]
    appointed_at: Mapped[datetime | None]

    body = relationship("Body", lazy="joined")
