"""What the OParl export has published: one row per object, with its digest, so that
``modified`` moves only on a real change and a vanished object stays as a tombstone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import utcnow
from ..extensions import db


class OParlEntry(db.Model):
    __tablename__ = "oparl_entry"
    __table_args__ = (
        UniqueConstraint("kind", "key", name="uq_oparl_entry_kind_key"),
        Index("ix_oparl_entry_kind_modified", "kind", "modified_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(160))
    digest: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)
