"""The hub's agenda (a shared service): dated events contributed through ``hub_agenda_events``
(core sessions and plugins), filterable by neighbourhood and by the objects they belong to,
with iCal feeds.

Event times are local wall-clock times of the hub (``TIMEZONE``), naive datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from ..timeutil import start_of_local_day


@dataclass(frozen=True)
class AgendaEvent:
    """A dated event (a relay session, a workshop, a council sitting) shown in the agenda.

    ``objects`` are the ``(type, id)`` pairs of registered objects the event belongs to
    (its target, its organiser): the agenda of a body or a project filters on them.
    ``organiser`` is the one that holds it, shown and offered as a filter. ``uid`` stays the
    same for the event's whole life (calendars update it in place); ``sequence`` grows with
    each change, and a cancelled event stays in feeds as ``STATUS:CANCELLED``.
    """

    uid: str
    title: str
    start: datetime
    end: datetime | None = None
    location: str = ""
    url: str = ""
    description: str = ""
    accessibility: str = ""
    neighbourhood_ids: tuple = field(default_factory=tuple)
    objects: tuple = field(default_factory=tuple)
    organiser: tuple | None = None
    source: str = ""
    cancelled: bool = False
    cancel_reason: str = ""
    # iCal SEQUENCE: bumped by the event's owner on every change calendars must pick up.
    sequence: int = 0


def matches(event: AgendaEvent, filters: dict) -> bool:
    """Whether an event passes the filters (a plugin may ignore them; the agenda re-checks)."""
    if filters.get("neighbourhood_id") and filters["neighbourhood_id"] not in (
        event.neighbourhood_ids or ()
    ):
        return False
    if filters.get("objects") and not set(filters["objects"]) & set(event.objects or ()):
        return False
    return True


def clean_filters(filters: dict | None) -> dict:
    """``neighbourhood_id`` (int) and ``objects`` (a frozenset of ``(type, id)``) only."""
    filters = filters or {}
    clean = {}
    if filters.get("neighbourhood_id"):
        clean["neighbourhood_id"] = filters["neighbourhood_id"]
    if filters.get("objects"):
        clean["objects"] = frozenset(filters["objects"])
    return clean


def _order(event: AgendaEvent):
    return (event.start, event.title, event.uid)


def collect_events(
    start: datetime, end: datetime, filters: dict | None = None, limit: int | None = None
) -> list:
    """Events of the core and of every enabled plugin between ``start`` and ``end``, sorted;
    with ``limit``, the first ``limit`` of them and every other starting with the last."""
    filters = clean_filters(filters)
    hub = current_app.extensions["hub"]
    events = []
    hook = hub.plugins.hook("hub_agenda_events")
    for result in hook(start=start, end=end, filters=filters, limit=limit):
        events.extend(e for e in result or [] if start <= e.start <= end and matches(e, filters))
    events.sort(key=_order)
    if limit and len(events) > limit:
        last = events[limit - 1].start
        events = [e for e in events if e.start <= last]
    return events


@dataclass
class AgendaPage:
    """A page of upcoming events; ``next_cursor`` (``?after=``) opens the next one."""

    events: list
    next_cursor: str | None
    is_first: bool


def upcoming_page(filters: dict | None, cursor: str | None, size: int, days: int = 366):
    """The ``size`` upcoming events after ``cursor``, asking each source for no more than a
    page (the cost of a page does not grow with the agenda). A cursor is the start of the
    last event shown and how many events starting at that moment were shown (events are
    sorted by start, then title: ties are skipped by count)."""
    from ..paging import decode, encode

    today = start_of_local_day()
    end = today + timedelta(days=days)
    position = decode(cursor)
    if position is None or position[0] is None or position[0] < today:
        moment, skip = today, 0
    else:
        moment, skip = position
    events = collect_events(moment, end, filters, limit=skip + size + 1)
    if skip:
        at_moment = [e for e in events if e.start == moment]
        events = at_moment[skip:] + [e for e in events if e.start > moment]
    shown = events[:size]
    next_cursor = None
    if len(events) > size and shown:
        last = shown[-1].start
        count = sum(1 for e in shown if e.start == last) + (skip if last == moment else 0)
        next_cursor = encode(last, count)
    return AgendaPage(shown, next_cursor, position is None)


def organisers(days: int = 366) -> set:
    """``(type, id)`` of the objects holding upcoming events (the agenda's filter)."""
    today = start_of_local_day()
    hook = current_app.extensions["hub"].plugins.hook("hub_agenda_organisers")
    return {
        ref
        for result in hook(start=today, end=today + timedelta(days=days))
        for ref in result or []
    }


def upcoming_events(filters: dict | None = None, days: int = 366, limit: int | None = None):
    """Events from the start of today (the hub's time zone) for ``days`` days."""
    today = start_of_local_day()
    events = collect_events(today, today + timedelta(days=days), filters, limit)
    return events[:limit] if limit else events


def feed_window() -> tuple[datetime, datetime]:
    """What an iCal feed carries: three months back, two years ahead."""
    today = start_of_local_day()
    return today - timedelta(days=92), today + timedelta(days=731)


def ical_response(filters: dict, name: str):
    """An iCal (RFC 5545) feed of the events passing ``filters``, named ``name``."""
    from flask import Response

    from .ical import calendar_bytes

    start, end = feed_window()
    body = calendar_bytes(collect_events(start, end, filters), name)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
