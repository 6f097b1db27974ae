"""Items on a resident's dashboard, contributed by the core and plugins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ActivityItem:
    """One thing the resident did or follows: a label, a link, a date and a status line."""

    kind: object
    title: str
    url: str
    date: datetime | None = None
    status: object = ""


@dataclass(frozen=True)
class NeighbourhoodNews:
    """Something that happened in a neighbourhood during the week, for the weekly "near you"
    email of the people who live there: a phrase, a link (a path) and when."""

    neighbourhood_id: int
    title: str
    url: str
    date: datetime | None = None
