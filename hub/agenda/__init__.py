"""The hub's agenda: events contributed through ``hub_agenda_events`` (core sessions and
plugins), filterable by neighbourhood, body and project, with iCal feeds.

Event times are local wall-clock times of the hub (``TIMEZONE``), naive datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class AgendaEvent:
    """A dated event (a relay session, a workshop, a council session) shown in the agenda."""

    uid: str
    title: str
    start: datetime
    end: datetime | None = None
    location: str = ""
    url: str = ""
    description: str = ""
    accessibility: str = ""
    neighbourhood_ids: tuple = field(default_factory=tuple)
    body_id: int | None = None
    source: str = ""
    project_id: int | None = None
    cancelled: bool = False
    cancel_reason: str = ""


FILTER_KEYS = ("neighbourhood_id", "body_id", "project_id")


def matches(event: AgendaEvent, filters: dict) -> bool:
    """Whether an event passes the filters (a plugin may ignore them; the agenda re-checks)."""
    if filters.get("neighbourhood_id") and filters["neighbourhood_id"] not in (
            event.neighbourhood_ids or ()):
        return False
    if filters.get("body_id") and event.body_id != filters["body_id"]:
        return False
    if filters.get("project_id") and event.project_id != filters["project_id"]:
        return False
    return True


def collect_events(start: datetime, end: datetime, filters: dict | None = None) -> list:
    """Events of the core and of every enabled plugin between ``start`` and ``end``, sorted."""
    from flask import current_app

    filters = {k: v for k, v in (filters or {}).items() if k in FILTER_KEYS and v}
    hub = current_app.extensions["hub"]
    events = []
    for result in hub.plugins.hook("hub_agenda_events")(start=start, end=end, filters=filters):
        events.extend(e for e in result or [] if start <= e.start <= end and matches(e, filters))
    return sorted(events, key=lambda e: (e.start, e.title, e.uid))
