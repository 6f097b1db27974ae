"""The core's own hook implementations for sessions: their object type, the agenda, the
personal-data download."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..agenda import AgendaEvent
from ..extensions import db
from ..hookspecs import hookimpl
from ..navigation import SearchResult, search_like
from ..registry import ObjectType
from . import services
from .models import Meeting, MeetingRegistration


def _neighbourhood_ids(meeting: Meeting) -> list[int]:
    return [n.id for n in meeting.neighbourhoods]


@hookimpl
def hub_register_object_types():
    return [ObjectType(
        name="session", model=Meeting, label=_l("Session"), endpoint="sessions.show",
        url_values=lambda m: {"meeting_id": m.id}, neighbourhood_ids=_neighbourhood_ids,
        can_manage=services.can_organise)]


@hookimpl
def hub_agenda_events(start, end, filters):
    events = []
    for meeting in services.query_between(start, end, filters or {}):
        location = meeting.place
        if meeting.online:
            location = " – ".join(filter(None, [meeting.place, meeting.online_url])) or "En ligne"
        objects = tuple(ref for ref in (meeting.target_ref, meeting.organiser_ref)
                        if ref[0] and ref[1] is not None)
        organiser = meeting.organiser_ref if meeting.organiser_type else None
        events.append(AgendaEvent(
            uid=f"session-{meeting.id}", title=meeting.title, start=meeting.starts_at,
            end=meeting.ends_at, location=location, url=services.meeting_url(meeting),
            description=meeting.description, accessibility=meeting.accessibility,
            neighbourhood_ids=tuple(n.id for n in meeting.neighbourhoods), objects=objects,
            organiser=organiser, source="sessions",
            cancelled=meeting.cancelled_at is not None, cancel_reason=meeting.cancel_reason))
    return events


@hookimpl
def hub_export_personal_data(user):
    """Sessions the resident registered for, and whether they were marked present."""
    rows = db.session.execute(
        select(Meeting.title, Meeting.starts_at, MeetingRegistration.created_at,
               MeetingRegistration.attended)
        .join(MeetingRegistration, MeetingRegistration.meeting_id == Meeting.id)
        .where(MeetingRegistration.user_id == user.id)
        .order_by(Meeting.starts_at)).all()
    return {"registrations": [{"session": title, "starts_at": starts.isoformat(),
                               "registered_at": registered.isoformat() + "Z",
                               "attended": attended}
                              for title, starts, registered, attended in rows]}


@hookimpl
def hub_search(query, user, limit):
    """Sessions from the start of today, soonest first."""
    from ..timeutil import start_of_local_day

    found = db.session.scalars(select(Meeting).where(
        Meeting.starts_at >= start_of_local_day(),
        search_like(Meeting.title, query) | search_like(Meeting.description, query))
        .order_by(Meeting.starts_at).limit(limit)).all()
    return [SearchResult(_l("Sessions"), m.title, services.meeting_url(m), m.description,
                         m.starts_at) for m in found]
