"""The plugin's table (``interpellation_*``). Signatures, committee memberships included,
live in the core's ``signature`` tables (two collections per interpellation); council
sessions are core sessions (``meeting``, kind "council").

Deadlines are calendar dates of the hub's time zone, inclusive: a review due on 12 April
may happen on 12 April; on 13 April it is one day overdue.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin import Session, db, utcnow

# Object types of the interpellations' collections in the core signature service.
SIGNATURES = "interpellation"
COMMITTEE = "interpellation_committee"
# Threshold actions.
COMMITTEE_FORMED = "committee_formed"
COUNCIL_AGENDA = "council_agenda"

STAGES = ("forming", "review", "inadmissible", "collecting", "expired", "scheduled", "answered")
STAGE_LABELS = {
    "forming": _l("Forming its committee"),
    "review": _l("Admissibility review"),
    "inadmissible": _l("Inadmissible"),
    "collecting": _l("Collecting signatures"),
    "expired": _l("Closed: threshold not reached"),
    "scheduled": _l("On the council's agenda"),
    "answered": _l("Answered by the council"),
}
# Stages everyone sees; an interpellation forming its committee is seen by its committee
# and the staff only (it has not been checked yet).
PUBLIC_STAGES = ("review", "inadmissible", "collecting", "expired", "scheduled", "answered")
FINAL_STAGES = ("inadmissible", "expired", "answered")
KIND_LABELS = {"question": _l("Question"), "request": _l("Request")}
COUNCIL_LABELS = {"municipal": _l("Municipal council"), "metropole": _l("Métropole council")}
OUTCOME_LABELS = {
    "debated": _l("Debated, no vote"),
    "adopted": _l("Deliberation adopted"),
    "rejected": _l("Deliberation rejected"),
    "referred": _l("Referred to a committee or a later session"),
}


class Interpellation(db.Model):
    __tablename__ = "interpellation_interpellation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    council: Mapped[str] = mapped_column(String(20), index=True)
    competence: Mapped[str] = mapped_column(String(120), default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[str] = mapped_column(String(20), default="forming", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The private link the author shares to form the committee.
    committee_token: Mapped[str] = mapped_column(String(64), unique=True)
    committee_collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="SET NULL"), index=True
    )
    # Filing and admissibility review.
    filed_at: Mapped[datetime | None] = mapped_column(index=True)
    review_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    inadmissibility_reason: Mapped[str] = mapped_column(Text, default="")
    # Signatures: the rule in force when they opened, frozen with its result.
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="SET NULL"), index=True
    )
    threshold: Mapped[int | None] = mapped_column(Integer)
    threshold_rule: Mapped[str] = mapped_column(String(40), default="")
    population: Mapped[int | None] = mapped_column(Integer)
    signatures_open_at: Mapped[datetime | None]
    signatures_close_at: Mapped[datetime | None] = mapped_column(index=True)
    # Threshold reached: on the council's agenda queue until the council takes it up.
    reached_at: Mapped[datetime | None]
    council_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # Closed without reaching the threshold: the final count stays public.
    expired_at: Mapped[datetime | None]
    final_count: Mapped[int | None] = mapped_column(Integer)
    # The council's answer.
    # The council session is a core session (``hub.sessions``, kind "council"): it appears
    # in the agenda and its iCal feeds, and several interpellations may share it.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    minutes_url: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="")
    deliberation: Mapped[str] = mapped_column(Text, default="")
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstaining: Mapped[int | None] = mapped_column(Integer)
    # The written answer is a core reasoned answer (``hub.plugin.answers``).
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="SET NULL"), index=True
    )
    answered_at: Mapped[datetime | None]
    answered_on: Mapped[date | None] = mapped_column(Date)

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    committee = relationship(
        "SignatureCollection", foreign_keys=[committee_collection_id], lazy="joined"
    )
    collection = relationship("SignatureCollection", foreign_keys=[collection_id], lazy="joined")
    session = relationship(Session, lazy="joined")
    written_answer = relationship("Answer", lazy="select")

    # --- What residents see ------------------------------------------------------------------

    def current_stage(self, now: datetime | None = None) -> str:
        """The stage as of ``now``: collecting past the end of the period reads as expired,
        before ``hub interpellation close-expired`` records it (same rule, same result)."""
        return stage_at(self.stage, self.signatures_close_at, now)

    @property
    def stage_label(self):
        return STAGE_LABELS[self.current_stage()]

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def council_label(self):
        return COUNCIL_LABELS.get(self.council, self.council)

    @property
    def outcome_label(self):
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    @property
    def is_public(self) -> bool:
        return self.stage in PUBLIC_STAGES

    @property
    def signature_count(self) -> int:
        if self.final_count is not None:
            return self.final_count
        return self.collection.total if self.collection else 0

    @property
    def answer_text(self) -> str:
        return self.written_answer.text if self.written_answer else ""

    @property
    def answered_by(self):
        return self.written_answer.author if self.written_answer else None

    @property
    def committee_count(self) -> int:
        return self.committee.total if self.committee else 0

    def deadline(self, now: datetime | None = None) -> tuple[str, date] | None:
        """The deadline the current stage runs against: ``(what, date)``, or None."""
        stage = self.current_stage(now)
        if stage == "review" and self.review_due_on:
            return "review", self.review_due_on
        if stage == "collecting" and self.signatures_close_at:
            return "signatures", self.signatures_close_at.date()
        if stage == "scheduled" and self.council_due_on:
            return "council", self.council_due_on
        return None

    def days_overdue(self, today: date) -> int:
        """Whole days past the deadline of the current stage (0 when on time).

        Only the commune's deadlines can be overdue (review, council); the signature period
        does not run late, it ends. ``today`` is a date of the hub's time zone.
        """
        due = self.deadline(datetime.combine(today, datetime.min.time()))
        if due is None or due[0] == "signatures":
            return 0
        return max(0, (today - due[1]).days)

    def days_late(self) -> int:
        """For an answered interpellation: how many days after the council's deadline."""
        if self.answered_on and self.council_due_on:
            return max(0, (self.answered_on - self.council_due_on).days)
        return 0


def stage_at(stage: str, signatures_close_at: datetime | None, now: datetime | None = None) -> str:
    """:meth:`Interpellation.current_stage` from the columns it reads (for rows, not objects)."""
    if stage == "collecting" and signatures_close_at is not None:
        if (now or utcnow()) >= signatures_close_at:
            return "expired"
    return stage
