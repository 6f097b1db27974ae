"""The plugin's tables (``initiative_workshops_*``).

An initiative's collective is a table of its own (members join and leave; leaving before
submission may un-constitute it), with an exact counter on the initiative row that every
change takes under the row lock. Public support lives in the core signature service (one
collection per initiative), sessions in the core sessions service, the decision's reasoned
text in the core answers service, and the project a decision creates in the core projects.

Dates of deadlines are calendar dates of the hub's time zone, inclusive: a decision due on
12 April may be taken on 12 April; on 13 April it is one day overdue.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin import Image, db, utcnow

# The object type of initiatives in the registry, and of their support collections.
OBJECT_TYPE = "initiative_workshops"
# Threshold action of the support collection.
SUPPORT_REACHED = "support_reached"

STATES = (
    "proposed",
    "constituted",
    "submitted",
    "retained",
    "partly_retained",
    "not_retained",
    "withdrawn",
)
STATE_LABELS = {
    "proposed": _l("Proposal: gathering its collective"),
    "constituted": _l("Constituted"),
    "submitted": _l("Submitted to the council"),
    "retained": _l("Retained"),
    "partly_retained": _l("Partly retained"),
    "not_retained": _l("Not retained"),
    "withdrawn": _l("Withdrawn"),
}
DECIDED = ("retained", "partly_retained", "not_retained")
# While the collective can change and the dossier is worked on.
OPEN = ("proposed", "constituted")
# Before the decision (or a withdrawal).
ACTIVE = ("proposed", "constituted", "submitted")
SCOPES = {"neighbourhood": _l("One or more neighbourhoods"), "commune": _l("The whole commune")}
FACILITATION_LABELS = {
    "": _l("No facilitating body yet"),
    "asked": _l("Asked to facilitate"),
    "accepted": _l("Facilitates this initiative"),
    "declined": _l("Declined to facilitate"),
}

initiative_neighbourhood = Table(
    "initiative_workshops_initiative_neighbourhood",
    db.metadata,
    Column(
        "initiative_id",
        ForeignKey("initiative_workshops_initiative.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "neighbourhood_id",
        ForeignKey("neighbourhood.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


def _new_uuid() -> str:
    return str(uuid.uuid4())


class Initiative(db.Model):
    __tablename__ = "initiative_workshops_initiative"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=_new_uuid)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)  # what
    reasons: Mapped[str] = mapped_column(Text, default="")  # why
    scope: Mapped[str] = mapped_column(String(20), default="neighbourhood", index=True)
    cover_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("image.id", ondelete="SET NULL"), index=True
    )
    cover_image = relationship(Image, lazy="joined")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The collective: the number required is frozen when the idea is proposed (the rule in
    # force then, by scope); the counter equals the member rows (changed under the row lock).
    members_required: Mapped[int] = mapped_column(Integer)
    members_count: Mapped[int] = mapped_column(Integer, default=0)
    constituted_at: Mapped[datetime | None]

    # Facilitation by a local body (the conseil de quartier, or a body the commune names).
    facilitator_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("body.id", ondelete="SET NULL"), index=True
    )
    facilitation: Mapped[str] = mapped_column(String(20), default="")
    facilitation_asked_at: Mapped[datetime | None]
    facilitation_answered_at: Mapped[datetime | None]
    facilitation_note: Mapped[str] = mapped_column(Text, default="")
    # The facilitating body's priority among the initiatives it facilitates (1 first).
    priority: Mapped[int | None] = mapped_column(Integer)

    # Optional public support (core signature service), its rule frozen when it opened.
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="SET NULL"), index=True
    )
    support_threshold: Mapped[int | None] = mapped_column(Integer)
    support_rule: Mapped[str] = mapped_column(String(40), default="")
    support_population: Mapped[int | None] = mapped_column(Integer)
    support_reached_at: Mapped[datetime | None]

    # Submission to the council, and the commune's acknowledgement.
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    submitted_version: Mapped[int | None] = mapped_column(Integer)
    members_at_submission: Mapped[int | None] = mapped_column(Integer)
    support_at_submission: Mapped[int | None] = mapped_column(Integer)
    decision_due: Mapped[date | None] = mapped_column(Date, index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    # When the collective and the staff were told that the decision is overdue (once).
    overdue_told_at: Mapped[datetime | None]

    # The political decision: a dated act of an elected official, with its reasoned answer
    # (core answers service) and, when retained, the project it created.
    decided_at: Mapped[datetime | None]
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    decision_reference: Mapped[str] = mapped_column(String(200), default="")
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="SET NULL"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), index=True
    )

    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")

    # Loaded when used: the row lock re-reads the initiative alone, and lists load what they
    # show with selectinload.
    author = relationship("User", foreign_keys=[author_id])
    neighbourhoods = relationship(
        "Neighbourhood",
        secondary=initiative_neighbourhood,
        lazy="selectin",
        order_by="Neighbourhood.name",
    )
    facilitator = relationship("Body")
    collection = relationship("SignatureCollection")
    answer = relationship("Answer")
    project = relationship("Project")
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def facilitation_label(self):
        return FACILITATION_LABELS.get(self.facilitation, self.facilitation)

    @property
    def decided(self) -> bool:
        return self.state in DECIDED

    @property
    def threshold_met(self) -> bool:
        """Enough members (a fact, kept apart from the state: see services.settle)."""
        return self.members_count >= self.members_required

    @property
    def support_count(self) -> int:
        return self.collection.total if self.collection is not None else 0

    @property
    def support_reached(self) -> bool:
        return self.support_reached_at is not None

    def days_left(self, today: date) -> int | None:
        """Days until the decision is due (0 on the day), negative when overdue; None when
        nothing is due (not submitted, or decided)."""
        if self.state != "submitted" or self.decision_due is None:
            return None
        return (self.decision_due - today).days

    def days_overdue(self, today: date) -> int:
        left = self.days_left(today)
        return -left if left is not None and left < 0 else 0

    def days_late(self) -> int:
        """For a decided initiative: how many days after its deadline it was decided."""
        if self.decided_on and self.decision_due:
            return max(0, (self.decided_on - self.decision_due).days)
        return 0


class Member(db.Model):
    """A verified resident in an initiative's collective (joined from their own account)."""

    __tablename__ = "initiative_workshops_member"
    __table_args__ = (UniqueConstraint("initiative_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative_workshops_initiative.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class DossierVersion(db.Model):
    """One version of the dossier: the proposal in detail and the questions studied. Every
    save adds a version; the one submitted to the council is recorded on the initiative."""

    __tablename__ = "initiative_workshops_dossier_version"
    __table_args__ = (UniqueConstraint("initiative_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative_workshops_initiative.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    proposal: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User", lazy="joined")


class Document(db.Model):
    """A document of the dossier (a link: a study, a plan, a letter of support…)."""

    __tablename__ = "initiative_workshops_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative_workshops_initiative.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
