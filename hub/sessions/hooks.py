"""The core's own hook implementations for sessions: they appear in the agenda."""

from __future__ import annotations

from ..agenda import AgendaEvent
from ..hookspecs import hookimpl


@hookimpl
def hub_agenda_events(start, end, filters):
    from .services import meeting_url, query_between

    events = []
    for meeting in query_between(start, end, filters or {}):
        location = meeting.place
        if meeting.online:
            location = " – ".join(filter(None, [meeting.place, meeting.online_url])) or "En ligne"
        events.append(AgendaEvent(
            uid=f"session-{meeting.id}", title=meeting.title, start=meeting.starts_at,
            end=meeting.ends_at, location=location, url=meeting_url(meeting),
            description=meeting.description, accessibility=meeting.accessibility,
            neighbourhood_ids=tuple(n.id for n in meeting.neighbourhoods),
            body_id=meeting.body_id, project_id=meeting.project_id, source="sessions",
            cancelled=meeting.cancelled_at is not None, cancel_reason=meeting.cancel_reason))
    return events


@hookimpl
def hub_export_personal_data(user):
    """Sessions the resident registered for, and whether they were marked present."""
    from sqlalchemy import select

    from ..extensions import db
    from .models import Meeting, MeetingRegistration

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
