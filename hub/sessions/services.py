"""Sessions: creating and listing them (relays, workshops, council sessions), and their
organisation: editing, cancelling, registrations within the capacity, attendance, minutes.

Functions that change data work inside the caller's ``write_transaction`` and raise
:class:`SessionRuleError` with a visitor-facing message when a rule forbids the action.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import audit
from ..db import for_update, utcnow
from ..extensions import db
from .models import Meeting, MeetingRegistration, meeting_neighbourhood


def create_meeting(*, title: str, starts_at, kind: str = "other", ends_at=None,
                   place: str = "", online: bool = False, online_url: str = "",
                   accessibility: str = "", description: str = "", context_type: str = "",
                   context_id: int | None = None, project_id: int | None = None,
                   body_id: int | None = None, neighbourhoods=(), actor=None) -> Meeting:
    meeting = Meeting(title=title, starts_at=starts_at, ends_at=ends_at, kind=kind, place=place,
                      online=online, online_url=online_url, accessibility=accessibility,
                      description=description, context_type=context_type,
                      context_id=context_id, project_id=project_id, body_id=body_id,
                      created_by_id=getattr(actor, "id", None))
    meeting.neighbourhoods = list(neighbourhoods)
    db.session.add(meeting)
    db.session.flush()
    audit.record("session.created", meeting, actor=actor, kind=kind,
                 context=f"{context_type}:{context_id}")
    return meeting


def meetings_for(context_type: str, context_ids) -> dict[int, list[Meeting]]:
    """Sessions of several contexts at once (one query)."""
    ids = list(context_ids)
    result: dict[int, list[Meeting]] = {i: [] for i in ids}
    if not ids:
        return result
    for meeting in db.session.scalars(select(Meeting).where(
            Meeting.context_type == context_type, Meeting.context_id.in_(ids))
            .order_by(Meeting.starts_at)):
        result[meeting.context_id].append(meeting)
    return result


def query_between(start, end, filters: dict):
    """Sessions in the window, cancelled ones included (the agenda marks them)."""
    query = select(Meeting).where(Meeting.starts_at >= start, Meeting.starts_at <= end)
    if filters.get("body_id"):
        query = query.where(Meeting.body_id == filters["body_id"])
    if filters.get("project_id"):
        query = query.where(Meeting.project_id == filters["project_id"])
    if filters.get("neighbourhood_id"):
        query = query.where(Meeting.id.in_(
            select(meeting_neighbourhood.c.meeting_id).where(
                meeting_neighbourhood.c.neighbourhood_id == filters["neighbourhood_id"])))
    return db.session.scalars(query.order_by(Meeting.starts_at)).all()


def meeting_url(meeting: Meeting) -> str:
    return url_for("sessions.show", meeting_id=meeting.id)


# --- Organising a session -------------------------------------------------------------------

MIN_CANCEL_REASON = 10
MIN_SYNTHESIS = 20


class SessionRuleError(Exception):
    """An action the session rules do not allow (message shown to the visitor); ``field``
    names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def local_now() -> datetime:
    """The hub's wall-clock time, naive, as session times are stored."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).replace(tzinfo=None)


def can_organise(user, meeting: Meeting) -> bool:
    """Staff with ``sessions.manage``; members of the organising body whose role lets them act
    for it; the project's owner for a relay session."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.can("sessions.manage"):
        return True
    if meeting.body is not None:
        from ..bodies.services import can

        if can(user, meeting.body, "act"):
            return True
    if meeting.context_type == "relay" and meeting.project_id:
        from ..projects.models import Project

        owner_id = db.session.scalar(select(Project.owner_id).where(
            Project.id == meeting.project_id))
        return owner_id is not None and owner_id == user.id
    return False


def registration_count(meeting_id: int) -> int:
    """Indexed COUNT on the registrations' primary key."""
    return db.session.scalar(select(func.count()).select_from(MeetingRegistration).where(
        MeetingRegistration.meeting_id == meeting_id)) or 0


def registered_users(meeting: Meeting) -> list:
    from ..accounts.models import User

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
    audit.record("session.edited", meeting, actor=actor, fields=changed)


def cancel_meeting(meeting: Meeting, reason: str, actor) -> None:
    from ..notifications.services import notify

    if meeting.cancelled_at is not None:
        raise SessionRuleError(_("This session is already cancelled."))
    reason = (reason or "").strip()
    if len(reason) < MIN_CANCEL_REASON:
        raise SessionRuleError(_("Explain why the session is cancelled (at least %(n)d "
                                 "characters): the reason is shown publicly.",
                                 n=MIN_CANCEL_REASON))
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    audit.record("session.cancelled", meeting, actor=actor, reason=reason)
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
    audit.record("session.minutes_published" if first else "session.minutes_edited", meeting,
                 actor=actor)
    return first
