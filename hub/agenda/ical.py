"""iCal (RFC 5545) feeds of agenda events, built with the icalendar package.

Every event keeps its UID for life, carries a SEQUENCE its owner bumps on each change, and
a cancelled event stays with ``STATUS:CANCELLED`` so calendars remove it. Times are given
with the hub's TZID, and the calendar holds a VTIMEZONE for every TZID it uses (RFC 5545
3.6.5: calendars that do not know the zone need its definition).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from icalendar import Calendar, Event

from ..db import utcnow


def _absolute(url: str) -> str:
    if not url or not url.startswith("/"):
        return url
    base = (
        current_app.config.get("BASE_URL") or (request.host_url if has_request_context() else "")
    ).rstrip("/")
    return base + url


def _host() -> str:
    if has_request_context() and request.host:
        return request.host.split(":")[0]
    from urllib.parse import urlsplit

    return urlsplit(current_app.config.get("BASE_URL") or "").hostname or "hub"


def calendar_bytes(events, name: str, *, method: str = "") -> bytes:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    calendar = Calendar()
    calendar.add("prodid", "-//participation-hub//agenda//FR")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", current_app.config["TIMEZONE"])
    host = _host()
    stamp = utcnow().replace(tzinfo=ZoneInfo("UTC"))
    for item in events:
        event = Event()
        event.add("uid", f"{item.uid}@{host}")
        cancelled = getattr(item, "cancelled", False)
        event.add(
            "summary", _("Cancelled: %(title)s", title=item.title) if cancelled else item.title
        )
        event.add("dtstamp", stamp)
        event.add("sequence", int(getattr(item, "sequence", 0) or 0))
        event.add("dtstart", item.start.replace(tzinfo=zone))
        if item.end:
            event.add("dtend", item.end.replace(tzinfo=zone))
        if item.location:
            event.add("location", item.location)
        description = item.description
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if cancelled:
            description = "\n\n".join(
                filter(
                    None,
                    [
                        _("Reason for the cancellation: %(reason)s", reason=item.cancel_reason)
                        if item.cancel_reason
                        else "",
                        description,
                    ],
                )
            )
        if item.accessibility:
            description = f"{description}\n\n{_('Accessibility')}: {item.accessibility}".strip()
        if description:
            event.add("description", description)
        if item.url:
            event.add("url", _absolute(item.url))
        calendar.add_component(event)
    # One VTIMEZONE per TZID used (the hub's zone), built from the zone database.
    calendar.add_missing_timezones()
    return calendar.to_ical()
