"""The plugin's tables (``petitions_*``). Signatures live in the core's ``signature`` tables."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin import Session, db, utcnow

# Object types under which the petitions' collections are registered in the core service.
SIGNATURES = "petition"
SUPPORTERS = "petition_supporters"

STATUS_LABELS = {
    "draft": _l("Draft"),
    "gathering": _l("Gathering supporters"),
    "moderation": _l("In moderation"),
    "open": _l("Open for signatures"),
    "closed": lazy_pgettext("petition", "Closed"),
    # Not a stored status since answers stopped closing petitions: the listing's filter of
    # petitions with an official answer.
    "answered": _l("Answered"),
    "rejected": _l("Rejected"),
}
PUBLIC_STATUSES = ("open", "closed", "rejected")
ADDRESSEE_LABELS = {
    "mayor": _l("The mayor"),
    "council": _l("The municipal council"),
    "metropole": _l("The métropole"),
}


class Petition(db.Model):
    __tablename__ = "petitions_petition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    addressee: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(100), default="", index=True)
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    # The private link that lets the author's circle support a draft before moderation.
    supporters_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    supporters_collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="SET NULL"), index=True
    )
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="SET NULL"), index=True
    )
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None]
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    rejection_comment: Mapped[str] = mapped_column(Text, default="")
    # The commune's official answer is a core reasoned answer (``hub.plugin.answers``).
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="SET NULL"), index=True
    )
    answered_at: Mapped[datetime | None]
    # Consequences of the thresholds, set when each is reached: an official answer due by
    # ``answer_due_on``; a debate at a council session (a core session shared with the
    # council's other business) due by ``debate_due_on``. Dates of the hub's time zone,
    # inclusive.
    answer_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    debate_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    debate_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    debated_on: Mapped[date | None] = mapped_column(Date)
    debate_minutes_url: Mapped[str] = mapped_column(String(500), default="")
    # Refused for personal data, defamation or illegality: the public sees only the title,
    # the reason and the date; the text stays for the staff until it is purged.
    text_withheld: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    text_purged_at: Mapped[datetime | None]

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    official_answer = relationship("Answer", lazy="select")
    neighbourhood = relationship("Neighbourhood", lazy="joined")
    debate_session = relationship(Session, lazy="select")
    collection = relationship("SignatureCollection", foreign_keys=[collection_id], lazy="joined")
    supporters = relationship(
        "SignatureCollection", foreign_keys=[supporters_collection_id], lazy="select"
    )

    def current_status(self, now: datetime | None = None) -> str:
        """The status residents see: an open petition past its deadline reads as closed."""
        return status_at(self.status, self.deadline, now)

    @property
    def status_label(self):
        return STATUS_LABELS[self.current_status()]

    @property
    def addressee_label(self):
        return ADDRESSEE_LABELS.get(self.addressee, self.addressee)

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def signature_count(self) -> int:
        return self.collection.total if self.collection else 0

    @property
    def is_answered(self) -> bool:
        return self.answer_id is not None

    @property
    def answer_text(self) -> str:
        return self.official_answer.text if self.official_answer else ""

    @property
    def answered_by(self):
        return self.official_answer.author if self.official_answer else None


# The public listing's order (newest first: published, or created for a petition refused
# before publication; the id breaks ties), then the status the listing filters on: the first
# page of 10,000 petitions reads its 30 entries in index order (the status checked in the
# index) instead of sorting every public petition (plugins/petitions/queries.py).
Index(
    "ix_petitions_petition_listing",
    func.coalesce(Petition.published_at, Petition.created_at),
    Petition.id,
    Petition.status,
)


def status_at(status: str, deadline: datetime | None, now: datetime | None = None) -> str:
    """:meth:`Petition.current_status` from the columns it reads (for rows, not objects)."""
    if status == "open" and deadline and (now or utcnow()) >= deadline:
        return "closed"
    return status
