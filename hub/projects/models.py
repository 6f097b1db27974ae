"""Projects, their documents and timeline, and their relays (contributions, answers and
follows are core services attached to a project through the registry)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db
from ..images.models import Image  # noqa: F401 (the cover_image relationship's target)

PHASES = ("contrat", "strategie", "instruction", "avis")
PHASE_LABELS = {
    "contrat": _l("Participation contract"),
    "strategie": _l("Participation under way"),
    "instruction": _l("Review of contributions"),
    "avis": _l("Reasoned response"),
}
LEVELS = {"metropolitan": _l("Metropolitan"), "communal": _l("Communal")}
DOMAINS = {
    "mobility": _l("Mobility"),
    "housing": _l("Housing"),
    "water": _l("Water"),
    "waste": _l("Waste"),
    "culture": _l("Culture"),
    "economy": _l("Economy"),
    "environment": _l("Environment"),
    "public_space": _l("Public space"),
    "education": _l("Education and youth"),
    "social": _l("Solidarity and health"),
    "sport": _l("Sport"),
    "other": _l("Other"),
}
RELAY_STATUSES = {"invited": _l("Invited"), "accepted": _l("Accepted"), "declined": _l("Declined")}

project_neighbourhood = Table(
    "project_neighbourhood",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhood.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Project(db.Model):
    __tablename__ = "project"
    # A project published by another hub (a métropole's, on a commune's hub) keeps where it
    # comes from: at most one local copy per remote project.
    __table_args__ = (UniqueConstraint("origin_hub", "origin_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20), index=True)
    domain: Mapped[str] = mapped_column(String(40), index=True)
    commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("commune.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    phase: Mapped[str] = mapped_column(String(20), default="contrat", index=True)
    phase_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    requires_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # The contrat participatif
    contrat_open: Mapped[str] = mapped_column(Text, default="")
    contrat_closed: Mapped[str] = mapped_column(Text, default="")
    contrat_decides: Mapped[str] = mapped_column(Text, default="")
    contrat_use: Mapped[str] = mapped_column(Text, default="")
    contrat_calendar: Mapped[str] = mapped_column(Text, default="")
    contrat_means: Mapped[str] = mapped_column(Text, default="")
    contrat_published_at: Mapped[datetime | None]
    # The decision closing the avis argumenté, and the "Projet concerté" label
    decision: Mapped[str] = mapped_column(Text, default="")
    decision_published_at: Mapped[datetime | None]
    labelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Where a project published by another hub comes from (None for the hub's own projects):
    # that hub's address, the project's UUID there and the hub's name, shown on the page.
    origin_hub: Mapped[str | None] = mapped_column(String(300))
    origin_uuid: Mapped[str | None] = mapped_column(String(36))
    origin_name: Mapped[str] = mapped_column(String(200), default="")
    # Set aside on this hub (a copy of another hub's project its staff hid, or one its
    # origin withdrew while residents here had acted on it): listed nowhere, shown to staff.
    hidden_at: Mapped[datetime | None] = mapped_column(index=True)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    cover_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("image.id", ondelete="SET NULL"), index=True
    )

    owner = relationship("User", lazy="joined")
    cover_image = relationship("Image", lazy="joined")
    commune = relationship("Commune", lazy="joined")
    neighbourhoods = relationship(
        "Neighbourhood",
        secondary=project_neighbourhood,
        lazy="selectin",
        order_by="Neighbourhood.name",
    )
    documents = relationship(
        "ProjectDocument",
        lazy="select",
        order_by="ProjectDocument.id",
        cascade="all, delete-orphan",
    )
    timeline = relationship(
        "TimelineEntry",
        lazy="select",
        order_by="(TimelineEntry.day, TimelineEntry.id)",
        cascade="all, delete-orphan",
    )

    @property
    def phase_number(self) -> int:
        return PHASES.index(self.phase) + 1

    @property
    def contrat_published(self) -> bool:
        return self.contrat_published_at is not None

    @property
    def open_for_contributions(self) -> bool:
        return self.phase == "strategie" and self.contrat_published

    @property
    def concerte(self) -> bool:
        return self.labelled_at is not None

    @property
    def is_remote(self) -> bool:
        """Published by another hub: shown here, changed only there."""
        return self.origin_hub is not None


class ProjectDocument(db.Model):
    __tablename__ = "project_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineEntry(db.Model):
    __tablename__ = "project_timeline_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Relay(db.Model):
    """A local body invited to relay a project (relais de proximité)."""

    __tablename__ = "project_relay"
    __table_args__ = (UniqueConstraint("project_id", "body_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="invited", index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    report_deadline: Mapped[date]
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    residents_reached: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[str] = mapped_column(Text, default="")
    report_submitted_at: Mapped[datetime | None]
    report_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    project = relationship("Project", lazy="joined")
    body = relationship("Body", lazy="joined")
