"""The hub's agenda: events contributed through ``hub_agenda_events``."""

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
