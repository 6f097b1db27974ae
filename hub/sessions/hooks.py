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
