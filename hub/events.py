"""Domain events: what happened, written in the same transaction as the change itself.

:func:`emit` records a declared event (``project.phase_changed``, ``relay.report_sent``…)
as an audit entry and as a row of the ``event_outbox`` table, inside the caller's write
transaction: a rolled-back change emits nothing, a committed one is never lost. After the
commit, subscribers (``hub_on_event``: federation, digests, plugins) run outside the request,
in ``hub worker`` or, on a one-process install, right after the response
(``WORKER_INLINE``). Each event is handed to the subscribers once; a subscriber that fails is
retried with a growing delay and its error is kept for the admin.

Event names are declared (core here, plugins through ``hub_register_event_types``) so a
misspelt name fails loudly instead of never reaching anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from . import audit
from .db import is_sqlite, utcnow, write_transaction
from .extensions import db

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class EventType:
    """A declared event: its dotted name and what it means (shown to admins and in docs).

    ``news``: whether people who follow things hear of it. ``"followers"``: the followers
    of the object, of its neighbourhoods, of the body that organises it and of what it
    belongs to (a session's target: a workshop, a project) are notified;
    ``"neighbourhood"``: only those of its neighbourhoods and organiser (the feature tells
    the object's own followers itself); empty: nobody.
    """

    name: str
    description: object = ""
    news: str = ""


@dataclass(frozen=True)
class Event:
    """An event as subscribers receive it: plain data only, safe to send to another hub."""

    id: int
    name: str
    target_type: str
    target_id: int | None
    target_uuid: str
    actor_id: int | None
    data: dict = field(default_factory=dict)
    created_at: datetime | None = None


class OutboxEvent(db.Model):
    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(60), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    target_uuid: Mapped[str] = mapped_column(String(36), default="")
    actor_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    def as_event(self) -> Event:
        return Event(
            self.id,
            self.name,
            self.target_type,
            self.target_id,
            self.target_uuid,
            self.actor_id,
            dict(self.data or {}),
            self.created_at,
        )


CORE_EVENT_TYPES = [
    EventType("account.registered", _l("A resident created an account")),
    EventType("residence.verified", _l("A resident's residence was verified")),
    EventType("project.created", _l("A project was created")),
    EventType(
        "project.contrat_published",
        _l("A project published its participation contract"),
        news="neighbourhood",
    ),
    EventType(
        "project.phase_changed", _l("A project moved to its next phase"), news="neighbourhood"
    ),
    EventType(
        "project.decision_published", _l("A project published its decision"), news="neighbourhood"
    ),
    EventType("project.updated", _l("A project's description, documents or calendar changed")),
    EventType("project.labelled", _l("A project received the label “Projet concerté”")),
    EventType("relay.invited", _l("A local body was invited to relay a project")),
    EventType("relay.accepted", _l("A local body accepted to relay a project"), news="followers"),
    EventType("relay.declined", _l("A local body declined to relay a project")),
    EventType("relay.report_sent", _l("A relay sent its report"), news="followers"),
    EventType("relay.deadline_extended", _l("A relay report deadline was extended")),
    EventType("contribution.received", _l("A contribution was received")),
    EventType("contribution.status_changed", _l("A contribution changed status")),
    EventType("answer.published", _l("A reasoned answer was published")),
    EventType("session.created", _l("A session was planned"), news="followers"),
    EventType("session.updated", _l("A session changed")),
    EventType("session.cancelled", _l("A session was cancelled"), news="followers"),
    EventType(
        "session.minutes_published", _l("The minutes of a session were published"), news="followers"
    ),
    EventType(
        "session.registered_on_behalf",
        _l("Someone was registered for a session by phone or on paper"),
    ),
    EventType("session.promoted", _l("A person waiting for a session got a seat")),
    EventType(
        "session.minutes_review_opened",
        _l("Draft minutes were sent to the participants for amendments"),
    ),
    EventType("session.minutes_approved", _l("The minutes of a session were approved")),
    EventType("body.created", _l("A local body was created")),
    EventType("signatures.threshold_reached", _l("A signature collection reached a threshold")),
]


class EventTypes:
    def __init__(self, declarations):
        self.types = {}
        for declaration in declarations:
            if declaration.name in self.types:
                raise RuntimeError(f"event type {declaration.name!r} is declared twice")
            self.types[declaration.name] = declaration

    def __contains__(self, name: str) -> bool:
        return name in self.types


def build_event_types(plugin_manager) -> EventTypes:
    declarations = list(CORE_EVENT_TYPES)
    for _name, result in plugin_manager.call_each(
        "hub_register_event_types", include_disabled=True
    ):
        declarations.extend(result or [])
    return EventTypes(declarations)


def emit(
    name: str,
    obj=None,
    /,
    *,
    actor=audit.CURRENT_USER,
    object_type: str = "",
    object_id=None,
    audit_entry: bool = True,
    **data,
) -> OutboxEvent:
    """Record event ``name`` about ``obj`` in the current write transaction.

    ``actor`` is who did it (default: the logged-in user; :data:`hub.audit.SYSTEM` for the
    hub itself). ``data`` must be JSON-serialisable and free of personal data: subscribers
    may send it to other hubs. The event is also written to the audit log unless
    ``audit_entry`` is false (when the caller records a richer entry itself).
    """
    if name not in current_app.extensions["hub"].event_types:
        raise KeyError(f"undeclared event type {name!r} (declare it with hub_register_event_types)")
    target_type, target_id, target_uuid = object_type, object_id, ""
    if obj is not None:
        from .registry import registry

        known = registry().find_model(type(obj))
        target_type = target_type or (
            known.name if known else getattr(obj, "__tablename__", type(obj).__name__)
        )
        target_id = target_id if target_id is not None else getattr(obj, "id", None)
        target_uuid = getattr(obj, "uuid", "") or ""
    actor_id = audit.actor_id_of(actor)
    row = OutboxEvent(
        name=name,
        target_type=target_type or "",
        target_id=target_id,
        target_uuid=target_uuid,
        actor_id=actor_id,
        data=data,
        created_at=utcnow(),
    )
    db.session.add(row)
    if audit_entry:
        audit.record(
            name,
            obj,
            actor=actor,
            object_type=target_type or "",
            object_id=target_id if target_id is not None else "",
            **data,
        )
    if has_request_context():
        g.hub_events_pending = True
    return row


# --- Delivery to subscribers -----------------------------------------------------------------


def _claim(limit: int, now: datetime) -> list[Event]:
    """Take due events in a short write transaction: marked as attempted before any
    subscriber runs, so two workers never hand the same event out at once (rows skipped
    under lock on PostgreSQL, the write lock on SQLite)."""
    with write_transaction():
        query = (
            select(OutboxEvent)
            .where(
                OutboxEvent.processed_at.is_(None),
                OutboxEvent.attempts < MAX_ATTEMPTS,
                or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now),
            )
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        if not is_sqlite():
            query = query.with_for_update(skip_locked=True)
        rows = db.session.scalars(query).all()
        for row in rows:
            row.attempts += 1
            # Leased: if this process dies, the event is due again after the lease.
            row.next_attempt_at = now + _backoff(row.attempts)
        events = [row.as_event() for row in rows]
    return events


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def deliver_events(limit: int = 200, now: datetime | None = None) -> int:
    """Hand due events to the ``hub_on_event`` subscribers; returns how many were handled.

    Subscribers run outside any transaction of the hub's: each opens its own write
    transaction when it changes data. An event is marked processed once every subscriber
    returned; an error is kept on the row and the event is retried later.
    """
    now = now or utcnow()
    hook = current_app.extensions["hub"].plugins.hook("hub_on_event")
    handled = 0
    for event in _claim(limit, now):
        error = ""
        try:
            hook(event=event)
        except Exception as exc:  # one failing subscriber never blocks the others' events
            db.session.rollback()
            error = f"{type(exc).__name__}: {exc}"[:2000]
            current_app.logger.exception("subscriber failed on event %s (%s)", event.id, event.name)
        with write_transaction():
            row = db.session.get(OutboxEvent, event.id)
            if error:
                row.last_error = error
            else:
                row.processed_at = utcnow()
                row.last_error = ""
                handled += 1
    return handled


def failed_events(limit: int = 100) -> list[OutboxEvent]:
    """Events whose subscribers keep failing (the admin's dead-letter list)."""
    return list(
        db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.processed_at.is_(None), OutboxEvent.last_error != "")
            .order_by(OutboxEvent.id.desc())
            .limit(limit)
        )
    )
