"""iCal (RFC 5545) feeds of agenda events, built with the icalendar package."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import gettext as _
from icalendar import Calendar, Event

from ..db import utcnow


def _absolute(url: str) -> str:
    if not url or not url.startswith("/"):
        return url
    base = (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")
    return base + url


def calendar_bytes(events, name: str) -> bytes:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    calendar = Calendar()
    calendar.add("prodid", "-//participation-hub//agenda//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", current_app.config["TIMEZONE"])
    host = request.host.split(":")[0] or "hub"
    stamp = utcnow()
    for item in events:
        event = Event()
        event.add("uid", f"{item.uid}@{host}")
        cancelled = getattr(item, "cancelled", False)
        event.add("summary", _("Cancelled: %(title)s", title=item.title) if cancelled
                  else item.title)
        event.add("dtstamp", stamp.replace(tzinfo=ZoneInfo("UTC")))
        event.add("dtstart", item.start.replace(tzinfo=zone))
        if item.end:
            event.add("dtend", item.end.replace(tzinfo=zone))
        if item.location:
            event.add("location", item.location)
        description = item.description
        if cancelled:
            event.add("status", "CANCELLED")
            description = "\n\n".join(filter(None, [
                _("Reason for the cancellation: %(reason)s", reason=item.cancel_reason)
                if item.cancel_reason else "", description]))
        if item.accessibility:
            description = f"{description}\n\n{_('Accessibility')}: {item.accessibility}".strip()
        if description:
            event.add("description", description)
        if item.url:
            event.add("url", _absolute(item.url))
        calendar.add_component(event)
    return calendar.to_ical()
