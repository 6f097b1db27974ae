"""Contributions and the channels they arrive through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import new_uuid, utcnow
from ..extensions import db

STATUSES = {
    "received": _l("Received"),
    "under_study": _l("Under study"),
    "retained": _l("Retained"),
    "partly_retained": _l("Partly retained"),
    "not_retained": _l("Not retained"),
}
FINAL_STATUSES = ("retained", "partly_retained", "not_retained")


@dataclass(frozen=True)
class ContributionChannel:
    """A way contributions arrive.

    ``offline``: entered on someone's behalf by an agent or a body member (audited, shown as
    such); ``source_type``: the registered type of the object it comes through (a relay, a
    workshop), required when set.
    """

    name: str
    label: object
    offline: bool = False
    source_type: str | None = None


CORE_CHANNELS = [
    ContributionChannel("online", _l("Online")),
    ContributionChannel("offline", _l("Offline"), offline=True),
]


class Contribution(db.Model):
    __tablename__ = "contribution"
    __table_args__ = (
        Index("ix_contribution_target", "target_type", "target_id"),
        Index("ix_contribution_source", "source_type", "source_id"),
        # The work queue's "awaiting an answer", per target: read from the index alone.
        Index(
            "ix_contribution_waiting",
            "target_type",
            "answer_id",
            "target_id",
            "created_at",
            "status",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[str] = mapped_column(String(60), default="")
    source_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(30), default="online", index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(200), default="")
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("neighbourhood.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    status_changed_at: Mapped[datetime | None]
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answer.id", ondelete="SET NULL"), index=True
    )
    answered_at: Mapped[datetime | None]

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    entered_by = relationship("User", foreign_keys=[entered_by_id], lazy="joined")
    neighbourhood = relationship("Neighbourhood", lazy="joined")
    answer = relationship("Answer", lazy="joined")

    @property
    def shown_author(self) -> str:
        if self.author is not None and self.author.is_active:
            return self.author.display_name
        return self.author_name

    @property
    def source_ref(self) -> tuple[str, int | None]:
        return self.source_type, self.source_id
