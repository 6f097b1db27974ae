"""The audit log: who did what to which object, kept for every staff action.

The actor of an entry is explicit: the logged-in user by default (:data:`CURRENT_USER`),
:data:`SYSTEM` for what the hub does by itself (a label granted, a deadline passed, a
scheduled job), or a given user.
"""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Integer, String, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import utcnow
from .extensions import db


class _Actor:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


CURRENT_USER = _Actor("CURRENT_USER")
SYSTEM = _Actor("SYSTEM")


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[str] = mapped_column(String(60), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")

    actor = relationship("User", foreign_keys=[actor_id], lazy="joined")

    @property
    def by_system(self) -> bool:
        return self.actor_id is None


def actor_id_of(actor) -> int | None:
    """The user id an actor stands for: None for :data:`SYSTEM` or nobody logged in."""
    if actor is SYSTEM or actor is None:
        return None
    if actor is CURRENT_USER:
        if has_request_context() and current_user.is_authenticated:
            return id_of(current_user._get_current_object())
        return None
    return id_of(actor)


def id_of(obj):
    """An object's id, from its identity when it has one: an audit entry written in a new
    transaction (an audited read) must not read the object and the user again, expired by
    the commit of the request's read transaction, only to learn ids the session knows."""
    state = inspect(obj, raiseerr=False)
    if state is not None and state.identity is not None and len(state.identity) == 1:
        return state.identity[0]
    return getattr(obj, "id", None)


def record(
    action: str, obj=None, /, *, actor=CURRENT_USER, object_type: str = "", object_id="", **details
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits with its change).

    ``action`` and ``obj`` are positional only, so details may use those names too."""
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id not in ("", None) else id_of(obj)
    entry = AuditEntry(
        action=action,
        actor_id=actor_id_of(actor),
        object_type=object_type,
        object_id=str(object_id if object_id is not None else ""),
        details=details,
        ip=(request.remote_addr or "") if has_request_context() else "cli",
    )
    db.session.add(entry)
    return entry


def record_search(where: str, query: str, results: int) -> None:
    """Audit a staff search of residents (who looked for whom), in its own transaction:
    searches are reads, but looking people up is itself an act on their data."""
    from .db import write_transaction

    with write_transaction():
        record(
            "staff.searched_residents",
            object_type="user",
            where=where,
            query=query[:200],
            results=results,
        )
