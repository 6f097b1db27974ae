"""The plugin's tables (``petitions_*``). Signatures live in the core's ``signature`` tables."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.plugin import db, utcnow

# Object types under which the petitions' collections are registered in the core service.
SIGNATURES = "petition"
SUPPORTERS = "petition_supporters"

STATUS_LABELS = {
    "draft": _l("Draft"),
    "gathering": _l("Gathering supporters"),
    "moderation": _l("In moderation"),
    "open": _l("Open for signatures"),
    "closed": _l("Closed"),
    "answered": _l("Answered"),
    "rejected": _l("Rejected"),
}
PUBLIC_STATUSES = ("open", "closed", "answered", "rejected")
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
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                  index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    # The private link that lets the author's circle support a draft before moderation.
    supporters_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    supporters_collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="SET NULL"), index=True)
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("signature_collection.id", ondelete="SET NULL"), index=True)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None]
    rejection_reason: Mapped[str] = mapped_column(String(200), default="")
    rejection_comment: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    answered_by = relationship("User", foreign_keys=[answered_by_id], lazy="select")
    neighbourhood = relationship("Neighbourhood", lazy="joined")
    collection = relationship("SignatureCollection", foreign_keys=[collection_id], lazy="joined")
    supporters = relationship("SignatureCollection", foreign_keys=[supporters_collection_id],
                              lazy="select")

    def current_status(self, now: datetime | None = None) -> str:
        """The status residents see: an open petition past its deadline reads as closed."""
        if self.status == "open" and self.deadline and (now or utcnow()) >= self.deadline:
            return "closed"
        return self.status

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
