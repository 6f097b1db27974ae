"""Sessions: creating and listing them (for relays, workshops, council sittings, bodies…),
and their organisation: editing, cancelling, registrations within the capacity, attendance,
minutes.

A session belongs to a registered object (its *target*) and is held by another (its
*organiser*); who may organise it is asked of them through the registry, so this service
knows none of the features that use it. Functions that change data work inside the caller's
``write_transaction`` and raise :class:`SessionRuleError` (a :class:`hub.errors.RuleError`)
with a visitor-facing message when a rule forbids the action.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import joinedload

from .. import audit
from ..accounts.models import User
from ..db import for_update, utcnow
from ..errors import RuleError
from ..events import emit
from ..extensions import db
from ..notifications.services import notify
from ..registry import registry
from ..timeutil import local_now
from .models import Meeting, MeetingRegistration, meeting_neighbourhood

Ref = tuple[str, int]


def as_ref(obj_or_ref) -> Ref | tuple[str, None]:
    """``(type, id)`` of a registered object, or the pair itself; ``("", None)`` for None."""
    if obj_or_ref is None:
        return "", None
    if isinstance(obj_or_ref, tuple):
        return obj_or_ref
    return registry().ref(obj_or_ref)


def create_session(*, title: str, starts_at, target=None, organiser=None, ends_at=None,
                   place: str = "", online: bool = False, online_url: str = "",
                   accessibility: str = "", description: str = "", neighbourhoods=(),
                   registrations_open: bool = False, capacity: int | None = None,
                   actor=audit.CURRENT_USER) -> Meeting:
    """Plan a session for ``target`` held by ``organiser`` (registered objects or
    ``(type, id)`` pairs); it appears in the agenda at once."""
    target_type, target_id = as_ref(target)
    organiser_type, organiser_id = as_ref(organiser)
    if ends_at is not None and ends_at <= starts_at:
        raise SessionRuleError(_("The end must come after the start."), "ends_at")
    meeting = Meeting(title=title, starts_at=starts_at, ends_at=ends_at, place=place,
                      online=online, online_url=online_url, accessibility=accessibility,
                      description=description, target_type=target_type, target_id=target_id,
                      organiser_type=organiser_type, organiser_id=organiser_id,
                      registrations_open=registrations_open, capacity=capacity,
                      created_by_id=audit.actor_id_of(actor))
    meeting.neighbourhoods = list(neighbourhoods)
    db.session.add(meeting)
    db.session.flush()
    emit("session.created", meeting, actor=actor, target=f"{target_type}:{target_id or ''}",
         organiser=f"{organiser_type}:{organiser_id or ''}")
    return meeting


def _refs_clause(refs: Iterable[Ref]):
    """Sessions whose target or organiser is one of ``refs``."""
    pairs = sorted({(t, i) for t, i in refs if t and i is not None})
    if not pairs:
        return None
    return or_(tuple_(Meeting.target_type, Meeting.target_id).in_(pairs),
               tuple_(Meeting.organiser_type, Meeting.organiser_id).in_(pairs))


def sessions_for(refs: Iterable[Ref], *, upcoming_only: bool = False,
                 include_cancelled: bool = True, limit: int | None = None) -> list[Meeting]:
    """Sessions of several objects at once (one query), by start time."""
    clause = _refs_clause(refs)
    if clause is None:
        return []
    query = select(Meeting).where(clause)
    if upcoming_only:
        query = query.where(Meeting.starts_at >= local_now().replace(hour=0, minute=0,
                                                                     second=0, microsecond=0))
    if not include_cancelled:
        query = query.where(Meeting.cancelled_at.is_(None))
    query = query.order_by(Meeting.starts_at, Meeting.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def sessions_by_target(target_type: str, target_ids) -> dict[int, list[Meeting]]:
    """Sessions of several targets of one type, grouped by target id (one query)."""
    ids = list(target_ids)
    result: dict[int, list[Meeting]] = {i: [] for i in ids}
    if not ids:
        return result
    for meeting in db.session.scalars(select(Meeting).where(
            Meeting.target_type == target_type, Meeting.target_id.in_(ids))
            .order_by(Meeting.starts_at)):
        result[meeting.target_id].append(meeting)
    return result


def query_between(start, end, filters: dict):
    """Sessions in the window, cancelled ones included (the agenda marks them).

    ``filters``: ``neighbourhood_id``, and ``objects``: ``(type, id)`` pairs of which the
    session's target or organiser must be one.
    """
    query = select(Meeting).where(Meeting.starts_at >= start, Meeting.starts_at <= end)
    if filters.get("objects"):
        clause = _refs_clause(filters["objects"])
        query = query.where(clause if clause is not None else and_(False))
    if filters.get("neighbourhood_id"):
        query = query.where(Meeting.id.in_(
            select(meeting_neighbourhood.c.meeting_id).where(
                meeting_neighbourhood.c.neighbourhood_id == filters["neighbourhood_id"])))
    return db.session.scalars(query.order_by(Meeting.starts_at)).all()


def meeting_url(meeting: Meeting) -> str:
    return url_for("sessions.show", meeting_id=meeting.id)


def target_of(meeting: Meeting):
    """The registered object the session belongs to, or None."""
    return registry().load(meeting.target_type, meeting.target_id)


def organiser_of(meeting: Meeting):
    return registry().load(meeting.organiser_type, meeting.organiser_id)


# --- Organising a session -------------------------------------------------------------------

MIN_CANCEL_REASON = 10
MIN_SYNTHESIS = 20


class SessionRuleError(RuleError):
    """An action the session rules do not allow (message shown to the visitor); ``field``
    names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None, **kwargs):
        super().__init__(message, field=field, **kwargs)


def can_organise(user, meeting: Meeting) -> bool:
    """Staff with ``sessions.manage``; otherwise whoever the session's target or organiser
    lets organise sessions (``organise_sessions`` in the registry: the members of a body who
    act for it, a project's team for a relay session…)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.can("sessions.manage"):
        return True
    reg = registry()
    for type_name, ident in (meeting.target_ref, meeting.organiser_ref):
        object_type = reg.find(type_name)
        if object_type is None or ident is None:
            continue
        obj = reg.load(type_name, ident)
        if obj is not None and object_type.allows(user, obj, "organise_sessions"):
            return True
    return False


def registration_count(meeting_id: int) -> int:
    """Indexed COUNT on the registrations' primary key."""
    return db.session.scalar(select(func.count()).select_from(MeetingRegistration).where(
        MeetingRegistration.meeting_id == meeting_id)) or 0


def registered_users(meeting: Meeting) -> list:
    return list(db.session.scalars(select(User).join(
        MeetingRegistration, MeetingRegistration.user_id == User.id).where(
        MeetingRegistration.meeting_id == meeting.id).order_by(MeetingRegistration.created_at)))


def registrations_of(meeting: Meeting) -> list[MeetingRegistration]:
    return list(db.session.scalars(select(MeetingRegistration).options(
        joinedload(MeetingRegistration.user)).where(
        MeetingRegistration.meeting_id == meeting.id).order_by(MeetingRegistration.created_at)))


def update_meeting(meeting: Meeting, actor, **fields) -> None:
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("A cancelled session cannot be changed."))
    if fields.get("ends_at") and fields["ends_at"] <= fields.get("starts_at", meeting.starts_at):
        raise SessionRuleError(_("The end must come after the start."), "ends_at")
    capacity = fields.get("capacity")
    if capacity is not None and capacity < registration_count(meeting.id):
        raise SessionRuleError(_("%(num)d people are already registered: the capacity cannot "
                                 "be lower.", num=registration_count(meeting.id)), "capacity")
    changed = sorted(k for k, v in fields.items() if getattr(meeting, k) != v)
    for key, value in fields.items():
        setattr(meeting, key, value)
    emit("session.updated", meeting, actor=actor, fields=changed)


def cancel_meeting(meeting: Meeting, reason: str, actor) -> None:
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("This session is already cancelled."))
    reason = (reason or "").strip()
    if len(reason) < MIN_CANCEL_REASON:
        raise SessionRuleError(_("Explain why the session is cancelled (at least %(n)d "
                                 "characters): the reason is shown publicly.",
                                 n=MIN_CANCEL_REASON))
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    emit("session.cancelled", meeting, actor=actor, reason=reason)
    notify(registered_users(meeting),
           _("The session “%(title)s” is cancelled", title=meeting.title),
           meeting_url(meeting), body=reason, kind="session.cancelled")


def register(meeting: Meeting, user) -> bool:
    """Register ``user``; the session row is locked (PostgreSQL) or the write lock held
    (SQLite) so the capacity holds under concurrent requests. False if already registered."""
    db.session.execute(for_update(select(Meeting.id).where(Meeting.id == meeting.id)))
    db.session.refresh(meeting)  # the values committed before the lock was granted
    locked = meeting
    if locked.cancelled_at is not None:
        raise SessionRuleError(_("This session is cancelled."))
    if not locked.registrations_open:
        raise SessionRuleError(_("Registrations are not open for this session."))
    if locked.starts_at <= local_now():
        raise SessionRuleError(_("This session has already started."))
    if db.session.get(MeetingRegistration, (locked.id, user.id)) is not None:
        return False
    if locked.capacity is not None and registration_count(locked.id) >= locked.capacity:
        raise SessionRuleError(_("This session is full."))
    db.session.add(MeetingRegistration(meeting_id=locked.id, user_id=user.id))
    db.session.flush()
    audit.record("session.registered", locked, actor=user)
    return True


def unregister(meeting: Meeting, user) -> bool:
    row = db.session.get(MeetingRegistration, (meeting.id, user.id))
    if row is None:
        return False
    if meeting.starts_at <= local_now():
        raise SessionRuleError(_("This session has already started."))
    db.session.delete(row)
    audit.record("session.unregistered", meeting, actor=user)
    return True


def require_held(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("This session was cancelled."))
    if meeting.starts_at > local_now():
        raise SessionRuleError(_("Attendance and minutes are recorded once the session has "
                                 "started."))


def record_attendance(meeting: Meeting, count: int, present_ids, actor) -> None:
    require_held(meeting)
    present = set(present_ids)
    rows = registrations_of(meeting)
    if count is None or count < 0:
        raise SessionRuleError(_("Give the number of people present."))
    if count < len(present):
        raise SessionRuleError(_("The number of people present cannot be lower than the "
                                 "%(num)d registered residents marked present.",
                                 num=len(present)))
    for row in rows:
        row.attended = row.user_id in present
    meeting.attendance_count = count
    audit.record("session.attendance", meeting, actor=actor, count=count,
                 registered_present=len(present & {r.user_id for r in rows}))


def save_minutes(meeting: Meeting, actor, *, objectives: str, method: str, synthesis: str,
                 next_agenda: str) -> bool:
    """Write and publish the compte-rendu; True when published for the first time."""
    require_held(meeting)
    synthesis = (synthesis or "").strip()
    if len(synthesis) < MIN_SYNTHESIS:
        raise SessionRuleError(_("The minutes need a synthesis of the discussions (at least "
                                 "%(n)d characters).", n=MIN_SYNTHESIS))
    meeting.minutes_objectives = (objectives or "").strip()
    meeting.minutes_method = (method or "").strip()
    meeting.minutes = synthesis
    meeting.minutes_next_agenda = (next_agenda or "").strip()
    first = meeting.minutes_published_at is None
    meeting.minutes_published_at = utcnow()
    if first:
        emit("session.minutes_published", meeting, actor=actor)
    else:
        audit.record("session.minutes_edited", meeting, actor=actor)
    return first
